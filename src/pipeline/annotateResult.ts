import type {StepProfile} from "../engine/StepProfile.js";
import type {PreparedJob} from "../prepare/PreparedJob.js";
import type {GeneratedRows} from "./RowGeneration.js";
import type {InputChanges} from "./RowMatcher.js";

/** What `annotate()` (and `generate()`) resolve with: the run's counts, speeds and how it ended. */
export type AnnotateResult = {
    output: string;
    totalRows: number;
    /** Rows of the input committed by earlier runs and not generated again (rows no longer in the input are not counted). */
    resumedRows: number;
    /** Rows finished in this run. */
    doneRows: number;
    /**
     * A `--retry-failed` pass: the failed rows it attempted again (counted in `doneRows`, and in `okRows` or
     * `failedRows` by how they ended now) and what it changed against the run's settings ("maxTokens 4 -> 32"); null
     * for a run or its resume.
     */
    retry: {rows: number; changes: string[]} | null;
    /**
     * How the input compares with what earlier runs in the output dir answered: what rows are matched by, the rows
     * changed since they were answered (and whether they were answered again), the rows no longer in the input
     * (their rows stay in the output). Null when the run stopped before it saw every row.
     */
    inputChanges: InputChanges | null;
    okRows: number;
    failedRows: number;
    promptTokens: number;
    /** Prompt tokens the local engine actually evaluated: each sequence keeps the prompt prefix it shares with its previous row (shared system message, template text, generate's prefix) and evaluates only the rest. 0 with the openai backend. */
    evaluatedPromptTokens: number;
    generatedTokens: number;
    /** Wall time of the whole call: prepare, model load, generation and writing. */
    elapsedMs: number;
    /** Loading the model and context in the workers. */
    loadMs: number;
    /** From the loaded engine taking the first row to the last row committed; the speeds below are over this time. */
    generationMs: number;
    rowsPerSecond: number;
    promptTokensPerSecond: number;
    generatedTokensPerSecond: number;
    /** Median over this run's rows of the time from a row starting on a sequence to its first generated token. */
    timeToFirstTokenMs: number;
    /** Peak resident memory of the process (all workers included) so far. */
    peakRssBytes: number;
    /** True when the run was stopped (signal) before every row was done; re-run to resume. */
    stopped: boolean;
    /** True when every input row is committed (output or errors). */
    complete: boolean;
    /** Whether prepared rows came from the cache. */
    preparedFromCache: boolean;
    /** Context size per sequence (0 with the openai backend: the server's). */
    contextSize: number;
    /** Sequences per worker (local) or concurrent requests (openai). */
    parallel: number;
    /** Which engine ran: "local" or "openai" (vllm included). */
    backend: "local" | "openai";
    /** HTTP requests sent to the server, retries included (openai backend; 0 locally). */
    requests: number;
    /** HTTP requests that were retries after a connection error, timeout, 408, 429 or 5xx (openai backend; 0 locally). */
    requestRetries: number;
    /** Where the local engine's decode steps spent their time (null with the openai backend). */
    stepProfile: StepProfile | null;
    /** The answers this call recorded a confidence for (`--confidence`, `--samples`): how many, their mean, how many below 0.5; null when none. */
    confidence: {answers: number; mean: number; below50: number} | null;
};

/** What the result says of the run besides what its generation stage did. */
export type AnnotatedRun = {
    output: string;
    job: PreparedJob;
    /** Context size per sequence (the prepare stage's; 0 with the openai backend). */
    contextSize: number;
    backend: AnnotateResult["backend"];
    /** A `--retry-failed` pass: what it changed; null otherwise. */
    retryChanges: string[] | null;
};

/**
 * The result of a run from what its generation stage did: speeds over the generation time (the whole call's when
 * nothing was generated), the median time to first token and the process's peak memory.
 */
export function annotateResult(generated: GeneratedRows, run: AnnotatedRun): AnnotateResult {
    const {progress, generationMs} = generated;
    const seconds = Math.max(generationMs > 0 ? generationMs : progress.elapsedMs, 1) / 1000;
    return {
        output: run.output,
        totalRows: run.job.totalRows,
        resumedRows: progress.resumedRows,
        doneRows: progress.doneRows,
        inputChanges: generated.inputChanges,
        retry: run.retryChanges !== null ? {rows: generated.retriedRows, changes: run.retryChanges} : null,
        okRows: generated.okRows,
        failedRows: progress.failedRows,
        promptTokens: progress.promptTokens,
        evaluatedPromptTokens: generated.evaluatedPromptTokens,
        generatedTokens: progress.generatedTokens,
        elapsedMs: progress.elapsedMs,
        loadMs: generated.loadMs,
        generationMs,
        rowsPerSecond: progress.doneRows / seconds,
        promptTokensPerSecond: progress.promptTokens / seconds,
        generatedTokensPerSecond: progress.generatedTokens / seconds,
        timeToFirstTokenMs: median(generated.firstTokenMs),
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        stopped: generated.stopped,
        complete: generated.complete,
        preparedFromCache: run.job.fromCache,
        contextSize: run.contextSize,
        parallel: generated.parallel,
        backend: run.backend,
        requests: generated.requests,
        requestRetries: generated.requestRetries,
        stepProfile: generated.stepProfile,
        confidence:
            generated.confidence.answers > 0
                ? {answers: generated.confidence.answers, mean: generated.confidence.sum / generated.confidence.answers, below50: generated.confidence.below50}
                : null
    };
}

function median(values: number[]): number {
    if (values.length === 0) return 0;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
