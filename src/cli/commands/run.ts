import type {Command} from "commander";
import {annotate, type AnnotateResult} from "../../pipeline/annotate.js";
import {addRunOptions, resolveJobOptions} from "../jobOptions.js";
import {ProgressPrinter} from "../ProgressPrinter.js";

export function registerRunCommand(program: Command): void {
    addRunOptions(program.command("run").description("annotate a dataset with a local GGUF model or an OpenAI-compatible server (resumable: re-run the same command to continue)"))
        .addHelpText("after", `
Examples:
  $ airlabel run -i reviews.jsonl -m model.gguf -o out/reviews -t template.txt -s schema.json
  $ airlabel run -i data.parquet -m model.gguf -o out/sent -p "Sentiment of: {text}" --choices positive,negative,neutral
  $ airlabel run --config examples/classify/job.yaml --model model.gguf --parallel 16
  $ airlabel run --config examples/classify/job.yaml --backend vllm --base-url http://gpu1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --api-key-env VLLM_API_KEY --concurrency 128`)
        .action(async (flags: Record<string, unknown>) => {
            const options = resolveJobOptions(flags);
            const result = await runWithSignals(options, (signal) => annotate({...options, signal, ...progressHooks(options.quiet === true)}));
            printSummary(result, options.json === true);
            if (result.stopped) process.exitCode = 130;
        });
}

type ProgressHooks = {onProgress: (p: Parameters<ProgressPrinter["update"]>[0]) => void, onLog: (line: string) => void};

export function progressHooks(quiet: boolean): ProgressHooks {
    const printer = new ProgressPrinter(!quiet);
    return {
        onProgress: (progress) => printer.update(progress),
        onLog: (line) => {
            if (quiet) return;
            printer.end();
            process.stderr.write(`airlabel: ${line}\n`);
        }
    };
}

/**
 * SIGINT/SIGTERM stop feeding new rows; rows in flight finish and are committed. A second signal exits at once
 * (committed shards stay committed; the rows in flight are redone on resume).
 */
export async function runWithSignals<T>(options: {output?: string}, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onSignal = (name: NodeJS.Signals) => {
        if (controller.signal.aborted) {
            process.stderr.write(`\nairlabel: ${name} again: exiting now; committed shards are kept, re-run the same command to resume\n`);
            process.exit(130);
        }
        process.stderr.write(`\nairlabel: ${name}: finishing the rows in flight and committing them; re-run the same command to resume (${name} again to exit now)\n`);
        controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        return await run(controller.signal);
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}

export function printSummary(result: AnnotateResult, json: boolean): void {
    if (json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
    }
    const lines = [
        `${result.complete ? "done" : result.stopped ? "stopped" : "incomplete"}: ${result.okRows} answered, ${result.failedRows} failed, ${result.resumedRows} already committed, of ${result.totalRows} rows`,
        `speed: ${result.rowsPerSecond.toFixed(2)} rows/s, ${result.generatedTokensPerSecond.toFixed(1)} generated + ${result.promptTokensPerSecond.toFixed(0)} prompt tokens/s (${result.generatedTokens} generated, ${result.promptTokens} prompt tokens in ${(result.generationMs / 1000).toFixed(1)} s; ` +
            (result.backend === "openai" ? `concurrency ${result.parallel}, ${result.requests} requests of which ${result.requestRetries} retries)` : `parallel ${result.parallel}, context ${result.contextSize})`),
        `time: ${(result.elapsedMs / 1000).toFixed(1)} s in all, of which ${(result.loadMs / 1000).toFixed(1)} s ${result.backend === "openai" ? "probing the server" : "loading the model"}`,
        `output: ${result.output}/ (data/ shards, errors/ for failed rows, manifest.json)`
    ];
    if (result.stopped) lines.push("resume: re-run the same command");
    process.stderr.write(lines.map((line) => `airlabel: ${line}\n`).join(""));
}
