import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {loadLlama} from "../llama/loadLlama.js";
import {InvalidOptionError} from "../AirlabelError.js";
import {checkModelFile} from "../model/checkModelFile.js";
import type {GpuChoice} from "../options/AnnotateOptions.js";
import {annotate} from "../pipeline/annotate.js";
import {stepBreakdown, type StepBreakdown} from "./stepBreakdown.js";
import {syntheticPrompts} from "./syntheticPrompts.js";

export type BenchOptions = {
    /** GGUF model to measure. Required. */
    model: string;
    /** Parallel sequence counts to measure, one setting each. Defaults to [1, 8, 32]. */
    parallel?: number[];
    /** Tokens per prompt, exactly (beginning-of-sequence token included). Defaults to 41. */
    promptTokens?: number;
    /** Tokens generated per row, exactly (end-of-generation is ignored). Defaults to 64. */
    genTokens?: number;
    /** Rows per setting, as a multiple of the parallel count. Defaults to 4. */
    waves?: number;
    /** llama.cpp threads. Defaults to airlabel's own default for the machine. */
    threads?: number;
    /** Constrain answers to this JSON Schema (measures grammar cost; generated counts then follow the grammar). Defaults to none. */
    schema?: Record<string, unknown>;
    /** Compute backend. Defaults to "auto". */
    gpu?: GpuChoice;
    /** Where greedy tokens are picked (see AnnotateOptions.argmax). Defaults to "auto". */
    argmax?: "auto" | "graph" | "host";
    /** Jump-forward of forced tokens (see AnnotateOptions.jumpForward). Defaults to true. */
    jumpForward?: boolean;
    /** Shared prompt prefixes evaluated once and copied (see AnnotateOptions.sharePrefix). Defaults to true. */
    sharePrefix?: boolean;
    /** Called with each setting's result as it finishes. Defaults to nothing. */
    onResult?: (result: BenchResult) => void;
};

export type BenchResult = {
    parallel: number;
    rows: number;
    threads: number | "default";
    promptTokens: number;
    generatedTokens: number;
    seconds: number;
    promptTokensPerSecond: number;
    generatedTokensPerSecond: number;
    totalTokensPerSecond: number;
    rowsPerSecond: number;
    /** Median time from a row starting on a sequence to its first token. */
    timeToFirstTokenMs: number;
    peakRssMiB: number;
    schema: boolean;
    /** airlabel's startup line for this setting: which llama.cpp binary, backend and threads ran it. */
    engine: string;
    /** Where an average decode step's time went: the decode, sampling, grammar, JavaScript; host time per sequence. */
    steps: StepBreakdown | null;
};

/**
 * Measures the real annotation path (`annotate`: worker pool, lockstep engine, shard writer) on synthetic rows
 * with prompts of exactly `promptTokens` tokens and exactly `genTokens` generated tokens per row.
 * Model loading is left out of the timing; everything from the first row to the last committed shard is in.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult[]> {
    const parallelList = options.parallel ?? [1, 8, 32];
    const promptTokens = options.promptTokens ?? 41;
    const genTokens = options.genTokens ?? 64;
    const waves = options.waves ?? 4;
    if (parallelList.length === 0 || !parallelList.every((p) => Number.isInteger(p) && p > 0))
        throw new InvalidOptionError("options.parallel must be a list of positive integers");
    if (!Number.isInteger(promptTokens) || promptTokens < 2) throw new InvalidOptionError("options.promptTokens must be an integer of at least 2");
    if (!Number.isInteger(genTokens) || genTokens < 1) throw new InvalidOptionError("options.genTokens must be a positive integer");
    if (!Number.isInteger(waves) || waves < 1) throw new InvalidOptionError("options.waves must be a positive integer");
    await checkModelFile(options.model);

    const llama = await loadLlama("cpu");
    const vocab = await llama.loadModel({modelPath: options.model, vocabOnly: true});
    const rowsNeeded = Math.max(...parallelList) * waves;
    let prompts: string[];
    try {
        prompts = syntheticPrompts(vocab, rowsNeeded, promptTokens);
    } finally {
        await vocab.dispose();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-bench-"));
    const results: BenchResult[] = [];
    try {
        const input = path.join(dir, "prompts.jsonl");
        fs.writeFileSync(input, prompts.map((text) => JSON.stringify({text})).join("\n") + "\n");
        for (const parallel of parallelList) {
            const rows = parallel * waves;
            let engine = "";
            const run = await annotate({
                onLog: (line) => {
                    if (line.startsWith("engine: ")) engine = line.slice("engine: ".length);
                },
                input,
                model: options.model,
                output: path.join(dir, `p${parallel}`),
                template: "{text}",
                chatTemplate: "none",
                maxRows: rows,
                sort: "none",
                parallel,
                maxTokens: genTokens,
                ignoreEos: options.schema === undefined,
                ...(options.schema !== undefined ? {schema: options.schema, schemaOrigin: "--schema", retriesInvalid: 0} : {}),
                ...(options.threads !== undefined ? {threads: options.threads} : {}),
                ...(options.gpu !== undefined ? {gpu: options.gpu} : {}),
                ...(options.argmax !== undefined ? {argmax: options.argmax} : {}),
                ...(options.jumpForward !== undefined ? {jumpForward: options.jumpForward} : {}),
                ...(options.sharePrefix !== undefined ? {sharePrefix: options.sharePrefix} : {}),
                shardSize: rows,
                overwrite: true
            });
            const seconds = run.generationMs / 1000;
            const result: BenchResult = {
                parallel,
                rows: run.doneRows,
                threads: options.threads ?? "default",
                promptTokens: run.promptTokens,
                generatedTokens: run.generatedTokens,
                seconds,
                promptTokensPerSecond: run.promptTokens / seconds,
                generatedTokensPerSecond: run.generatedTokens / seconds,
                totalTokensPerSecond: (run.promptTokens + run.generatedTokens) / seconds,
                rowsPerSecond: run.doneRows / seconds,
                timeToFirstTokenMs: run.timeToFirstTokenMs,
                peakRssMiB: run.peakRssBytes / 2 ** 20,
                schema: options.schema !== undefined,
                engine,
                steps: run.stepProfile !== null ? stepBreakdown(run.stepProfile) : null
            };
            results.push(result);
            options.onResult?.(result);
        }
    } finally {
        fs.rmSync(dir, {recursive: true, force: true});
    }
    return results;
}
