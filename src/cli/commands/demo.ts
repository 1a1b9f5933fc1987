import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import type {Command} from "commander";
import {ensureGeneratedModel} from "../../gguf/ensureGeneratedModel.js";
import {annotate} from "../../pipeline/annotate.js";
import {printSummary, progressHooks, runWithSignals} from "./run.js";

const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

export function registerDemoCommand(program: Command): void {
    program
        .command("demo")
        .description("generate the demo model once (random weights) and annotate the bundled 200 reviews with a label + confidence schema")
        .option("-o, --output <dir>", "output directory", "out/demo")
        .option("--model <file.gguf>", "use this GGUF instead of the generated demo model")
        .option("--models-dir <dir>", "where the generated demo model is kept", path.join(packageRoot, "models", "generated"))
        .option("--parallel <n>", "parallel sequences (default 8)", (v) => Number(v))
        .option("-q, --quiet", "nothing on stderr but errors and warnings (no progress, no summary)")
        .option("--json", "print the run summary as JSON on stdout")
        .addHelpText(
            "after",
            `
The demo model's weights are random: its answers are schema-valid but meaningless.
Use a real model with:  airlabel demo --model path/to/model.gguf`
        )
        .action(async (flags: {output: string; model?: string; modelsDir: string; parallel?: number; quiet?: boolean; json?: boolean}) => {
            const hooks = progressHooks(flags.quiet === true);
            let model = flags.model;
            if (model === undefined) {
                const existed = fs.existsSync(flags.modelsDir);
                model = await ensureGeneratedModel({dir: flags.modelsDir, parameters: 10_000_000, type: "q8_0", seed: 42});
                hooks.onLog(`${existed ? "using" : "generated"} demo model ${model} (random weights: answers are valid JSON but meaningless)`);
            }
            const demo = path.join(packageRoot, "examples", "demo");
            const options = {
                input: path.join(demo, "reviews.jsonl"),
                model,
                output: flags.output,
                template: fs.readFileSync(path.join(demo, "template.txt"), "utf8"),
                templateOrigin: "template examples/demo/template.txt",
                system: fs.readFileSync(path.join(demo, "system.txt"), "utf8").trim(),
                schema: JSON.parse(fs.readFileSync(path.join(demo, "schema.json"), "utf8")) as Record<string, unknown>,
                schemaOrigin: "schema examples/demo/schema.json",
                maxTokens: 48,
                ...(flags.parallel !== undefined ? {parallel: flags.parallel} : {}),
                shardSize: 50,
                overwrite: true
            };
            const result = await runWithSignals((signal) => annotate({...options, signal, ...hooks}));
            printSummary(result, flags.json === true, flags.quiet === true);
            if (flags.json !== true && flags.quiet !== true)
                process.stderr.write(`airlabel: first answers: see ${path.join(flags.output, "data")}/part-00000.jsonl\n`);
            if (result.stopped) process.exitCode = 130;
        });
}
