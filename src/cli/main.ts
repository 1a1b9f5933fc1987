#!/usr/bin/env node
import {Command, CommanderError} from "commander";
import {AirlabelError} from "../AirlabelError.js";
import {version} from "../version.js";
import {registerBenchCommand} from "./commands/bench.js";
import {registerDemoCommand} from "./commands/demo.js";
import {registerExportCommand} from "./commands/export.js";
import {registerGenerateCommand} from "./commands/generate.js";
import {registerImportCommand} from "./commands/import.js";
import {registerInspectCommand} from "./commands/inspect.js";
import {registerModelCommand} from "./commands/model.js";
import {registerPrepareCommand} from "./commands/prepare.js";
import {registerReviewCommand} from "./commands/review.js";
import {registerRunCommand} from "./commands/run.js";
import {registerSchemaCommand} from "./commands/schema.js";
import {registerStatsCommand} from "./commands/stats.js";

// Past a file-size limit (`ulimit -f`), a write must fail with EFBIG, reported and nothing partial committed, rather
// than the process being killed: node ignores SIGXFSZ, but loading llama.cpp puts the default action back.
process.on("SIGXFSZ", () => {});

// `airlabel inspect x --json | head` closes stdout early: that is not an error
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
});

const program = new Command("airlabel")
    .description("Annotate or generate datasets with local LLMs, offline: GGUF models, JSON-schema-constrained answers, resumable shards.")
    .version(version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText(
        "after",
        `
Examples:
  $ airlabel demo
  $ airlabel inspect data.parquet --json
  $ airlabel run -i reviews.jsonl -m model.gguf -o out/reviews -t template.txt -s schema.json
  $ airlabel generate --prompts prompts.txt --count 4 -m model.gguf -o out/gen
  $ airlabel model create --parameters 1M --output tiny.gguf`
    );

registerRunCommand(program);
registerGenerateCommand(program);
registerPrepareCommand(program);
registerInspectCommand(program);
registerExportCommand(program);
registerImportCommand(program);
registerStatsCommand(program);
registerReviewCommand(program);
registerDemoCommand(program);
registerBenchCommand(program);
registerModelCommand(program);
registerSchemaCommand(program);

try {
    await program.parseAsync(process.argv);
} catch (err) {
    if (err instanceof CommanderError) {
        // commander has printed its one line (or the help / version); every usage error it raises (unknown option or
        // command, missing option value or argument, a value outside the choices) is an invalid option: exit 2
        process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else if (err instanceof AirlabelError) {
        process.stderr.write(`airlabel: ${err.message}\n`);
        process.exitCode = err.exitCode;
    } else {
        process.stderr.write(`airlabel: unexpected error (a bug; please report it with this trace):\n${err instanceof Error ? err.stack : String(err)}\n`);
        process.exitCode = 1;
    }
}
