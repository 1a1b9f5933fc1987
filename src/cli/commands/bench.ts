import {Option, type Command} from "commander";
import {InvalidOptionError} from "../../AirlabelError.js";
import {runBench, type BenchResult} from "../../bench/runBench.js";
import {readJson} from "../../jobs/jobOptions.js";
import type {GpuChoice} from "../../options/AnnotateOptions.js";

type BenchFlags = {
    model: string;
    parallel: string;
    promptTokens: string;
    genTokens: string;
    waves: string;
    threads?: string;
    schema?: string;
    gpu?: GpuChoice;
    argmax?: "auto" | "graph" | "host";
    jumpForward?: boolean;
    sharePrefix?: boolean;
    json?: boolean;
};

/** `airlabel bench`: throughput of the real annotation path on synthetic rows of exact token lengths. */
export function registerBenchCommand(program: Command): void {
    program
        .command("bench")
        .description("measure throughput of the real annotation path on synthetic prompts of exact token lengths")
        .requiredOption("-m, --model <file.gguf>", "GGUF model file")
        .option("--parallel <list>", "parallel sequence counts, one setting each", "1,8,32")
        .option("--prompt-tokens <n>", "tokens per prompt, exactly", "41")
        .option("--gen-tokens <n>", "generated tokens per row, exactly (end-of-generation ignored)", "64")
        .option("--waves <n>", "rows per setting = parallel x waves", "4")
        .option("--threads <n>", "llama.cpp threads (default: airlabel's default for this machine)")
        .option("-s, --schema <file.json>", "constrain answers to this JSON Schema (measures the grammar's cost)")
        .addOption(new Option("--gpu <backend>", "compute backend (default auto)").choices(["auto", "cuda", "metal", "vulkan", "cpu"]))
        .addOption(
            new Option(
                "--argmax <where>",
                "where greedy decoding picks tokens: graph (inside the decode), host (the CPU reads each logits row), auto (default)"
            ).choices(["auto", "graph", "host"])
        )
        .option("--no-jump-forward", "decode the tokens a schema forces one a step instead of with the token before them")
        .option("--no-share-prefix", "evaluate the prompts' shared prefix on every sequence instead of once, copied")
        .option("--json", "print the results as JSON on stdout")
        .addHelpText(
            "after",
            `
Examples:
  $ airlabel bench -m models/bench/airlabel-85M-f16.gguf --parallel 1,8,32 --prompt-tokens 41 --gen-tokens 64 --threads 1
  $ airlabel bench -m model.gguf --parallel 8 --schema examples/demo/schema.json --json
  $ airlabel bench -m model.gguf --parallel 128 --gpu cuda --argmax graph

Prints per setting: prompt, generated and total tokens/s, rows/s, median time to first token, peak RSS, and an
average decode step split into the decode (inside llama_decode), sampling (grammar included) and JavaScript, with
the host time per sequence (step less decode: what a GPU would wait for). --json adds grammar and mask counts.
Model loading is not timed. Compare with llama.cpp's own ceiling: bench/ceiling.sh.`
        )
        .action(async (flags: BenchFlags) => {
            const parallel = flags.parallel.split(",").map((v) => Number(v.trim()));
            const schema = flags.schema === undefined ? undefined : readSchema(flags.schema);
            // the header with the first row: a setting that fails to load prints no empty table
            let printedHeader = false;
            const results = await runBench({
                model: flags.model,
                parallel,
                promptTokens: integer(flags.promptTokens, "--prompt-tokens"),
                genTokens: integer(flags.genTokens, "--gen-tokens"),
                waves: integer(flags.waves, "--waves"),
                ...(flags.threads !== undefined ? {threads: integer(flags.threads, "--threads")} : {}),
                ...(schema !== undefined ? {schema} : {}),
                ...(flags.gpu !== undefined ? {gpu: flags.gpu} : {}),
                ...(flags.argmax !== undefined ? {argmax: flags.argmax} : {}),
                ...(flags.jumpForward === false ? {jumpForward: false} : {}),
                ...(flags.sharePrefix === false ? {sharePrefix: false} : {}),
                onResult: (result) => {
                    if (result.parallel === parallel[0]) process.stderr.write(`airlabel: engine: ${result.engine}\n`);
                    if (!flags.json) {
                        if (!printedHeader) process.stdout.write(`${header}\n`);
                        printedHeader = true;
                        process.stdout.write(`${formatRow(result)}\n`);
                    }
                }
            });
            if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        });
}

const header =
    "| parallel | rows | threads | prompt tok/s | generated tok/s | total tok/s | rows/s | TTFT ms | peak RSS MiB | step ms | decode ms | sampling ms | JS ms | host µs/seq |\n" +
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

function formatRow(r: BenchResult): string {
    return (
        `| ${r.parallel} | ${r.rows} | ${r.threads} | ${r.promptTokensPerSecond.toFixed(1)} | ${r.generatedTokensPerSecond.toFixed(1)} | ${r.totalTokensPerSecond.toFixed(1)} | ${r.rowsPerSecond.toFixed(2)} | ${r.timeToFirstTokenMs.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} | ` +
        (r.steps === null
            ? "- | - | - | - | - |"
            : `${r.steps.stepMs.toFixed(2)} | ${r.steps.native ? r.steps.decodeMs.toFixed(2) : "?"} | ${r.steps.native ? r.steps.samplingMs.toFixed(2) : "?"} | ${r.steps.native ? r.steps.jsMs.toFixed(2) : "?"} | ${r.steps.native ? r.steps.hostUsPerSequence.toFixed(1) : "?"} |`)
    );
}

function integer(value: string, flag: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidOptionError(`${flag} must be a positive integer (got "${value}")`);
    return n;
}

function readSchema(file: string): Record<string, unknown> {
    return readJson(file, "--schema") as Record<string, unknown>;
}
