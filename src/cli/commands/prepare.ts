import type {Command} from "commander";
import {lockOutputDir} from "../../output/openOutputDir.js";
import {validateAnnotateOptions} from "../../options/validateAnnotateOptions.js";
import {prepare} from "../../prepare/prepare.js";
import {resolveJobOptions} from "../../jobs/jobOptions.js";
import {addJobOptions, toInteger} from "../jobOptions.js";

export function registerPrepareCommand(program: Command): void {
    addJobOptions(program.command("prepare").description("render prompts, count tokens and cache the prepared rows (run does this implicitly)"))
        .option("--max-tokens <n>", "tokens reserved for each answer (default 256)", toInteger)
        .option("--context-size <n>", "context size per sequence (default: fitted to the longest prompt)", toInteger)
        .option("--json", "print the result as JSON on stdout")
        .addHelpText(
            "after",
            `
Example:
  $ airlabel prepare -i reviews.jsonl -m model.gguf -o out/reviews -t template.txt --json`
        )
        .action(async (flags: Record<string, unknown>) => {
            const options = validateAnnotateOptions(resolveJobOptions(flags));
            const remote = options.resolvedBackend.remote;
            // the cache goes into the output dir: not while a run holds it, never through a linked cache/
            const lock = await lockOutputDir(options.output);
            const {job, contextSize} = await prepare({
                ...options,
                maxTokens: options.generation.maxTokens,
                ...(remote !== null ? {remoteBaseUrl: remote.baseUrl} : {})
            }).finally(() => lock.release());
            const summary = {
                rows: job.totalRows,
                toGenerate: job.rowCount,
                failed: job.failureCount,
                columns: job.columns,
                promptTokens: {total: job.totalPromptTokens, min: job.minPromptTokens, max: job.maxPromptTokens},
                contextSize,
                fromCache: job.fromCache,
                cacheDir: job.cacheDir,
                inputHash: job.inputHash,
                firstPrompt: job.firstPrompt
            };
            if (flags.json === true) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
            else
                process.stderr.write(
                    `airlabel: prepared ${summary.rows} rows (${summary.toGenerate} to generate, ${summary.failed} failed)` +
                        `, prompt tokens ${summary.promptTokens.min}..${summary.promptTokens.max}, context ${contextSize}` +
                        `${job.fromCache ? ", from cache" : ""}; cached in ${job.cacheDir}\n`
                );
        });
}
