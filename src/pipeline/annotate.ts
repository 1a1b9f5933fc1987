import {AirlabelError} from "../AirlabelError.js";
import {OpenAIEngine} from "../engine/openai/OpenAIEngine.js";
import {RequestStoppedError} from "../engine/openai/openaiErrors.js";
import {readApiKey} from "../engine/openai/readApiKey.js";
import type {Engine} from "../engine/Engine.js";
import {EngineError} from "../engine/EngineError.js";
import type {StepProfile} from "../engine/StepProfile.js";
import {LocalEngine} from "../engine/local/LocalEngine.js";
import {fitLocalRun, placeLocalRun} from "../engine/local/placement/planLocalRun.js";
import type {EngineResult, EngineTask} from "../engine/EngineTask.js";
import {hasAnswerHooks} from "../hooks/Hooks.js";
import {loadHooks} from "../hooks/loadHooks.js";
import {isNonNegativeInteger} from "../options/checkOption.js";
import type {PreparedFailure, PreparedJob, PreparedRow} from "../prepare/PreparedJob.js";
import type {AnnotateOptions, AnnotateProgress} from "../options/AnnotateOptions.js";
import {validateAnnotateOptions} from "../options/validateAnnotateOptions.js";
import {OutputStore} from "../output/OutputStore.js";
import {lockOutputDir} from "../output/openOutputDir.js";
import {prepare, type PrepareResult} from "../prepare/prepare.js";
import {AnswerSchema} from "../schema/AnswerSchema.js";
import {compileSchemaGrammar, type CompileSchemaGrammarOptions} from "../schema/grammar/compileSchemaGrammar.js";
import {version} from "../version.js";
import {runIdentity} from "../options/runIdentity.js";
import {stringifyJson} from "../json/stringifyJson.js";

export {EngineError};

export type AnnotateResult = {
    output: string,
    totalRows: number,
    /** Rows committed by earlier runs, skipped in this one. */
    resumedRows: number,
    /** Rows finished in this run. */
    doneRows: number,
    okRows: number,
    failedRows: number,
    promptTokens: number,
    /** Prompt tokens the local engine actually evaluated: each sequence keeps the prompt prefix it shares with its previous row (shared system message, template text, generate's prefix) and evaluates only the rest. 0 with the openai backend. */
    evaluatedPromptTokens: number,
    generatedTokens: number,
    /** Wall time of the whole call: prepare, model load, generation and writing. */
    elapsedMs: number,
    /** Loading the model and context in the workers. */
    loadMs: number,
    /** From the loaded engine taking the first row to the last row committed; the speeds below are over this time. */
    generationMs: number,
    rowsPerSecond: number,
    promptTokensPerSecond: number,
    generatedTokensPerSecond: number,
    /** Median over this run's rows of the time from a row starting on a sequence to its first generated token. */
    timeToFirstTokenMs: number,
    /** Peak resident memory of the process (all workers included) so far. */
    peakRssBytes: number,
    /** True when the run was stopped (signal) before every row was done; re-run to resume. */
    stopped: boolean,
    /** True when every input row is committed (output or errors). */
    complete: boolean,
    /** Whether prepared rows came from the cache. */
    preparedFromCache: boolean,
    /** Context size per sequence (0 with the openai backend: the server's). */
    contextSize: number,
    /** Sequences per worker (local) or concurrent requests (openai). */
    parallel: number,
    /** Which engine ran: "local" or "openai" (vllm included). */
    backend: "local" | "openai",
    /** HTTP requests sent to the server, retries included (openai backend; 0 locally). */
    requests: number,
    /** HTTP requests that were retries after a connection error, timeout, 408, 429 or 5xx (openai backend; 0 locally). */
    requestRetries: number,
    /** Where the local engine's decode steps spent their time (null with the openai backend). */
    stepProfile: StepProfile | null
};

/**
 * Annotates a dataset end to end: prepare (read, render, tokenize, sort) -> engine (the local worker pool,
 * grammar-constrained, or an OpenAI-compatible server with `backend: "openai"`; answers validated with retries) ->
 * checkpointed shard writer. Re-running the same options
 * against the same output dir resumes; different options are refused unless `overwrite` is set.
 */
export async function annotate(options: AnnotateOptions): Promise<AnnotateResult> {
    const resolved = validateAnnotateOptions(options);
    const log = resolved.onLog ?? (() => {});
    const startedAt = Date.now();

    const answerSchema = resolved.choices !== undefined
        ? AnswerSchema.fromChoices(resolved.choices)
        : resolved.schema !== undefined ? AnswerSchema.fromJsonSchema(resolved.schema, resolved.schemaOrigin) : AnswerSchema.freeText();
    // a missing or broken hooks module fails before any model loads
    const hooks = resolved.hooks !== undefined ? await loadHooks(resolved.hooks) : null;
    const answerHooks = hasAnswerHooks(hooks);
    const remote = resolved.resolvedBackend.remote;
    const grammar = remote === null && answerSchema.jsonSchema !== null ? compileAndReportGrammar(answerSchema.jsonSchema, {
        origin: resolved.schemaOrigin,
        ...(resolved.grammarMaxStringLength !== undefined ? {maxStringLength: resolved.grammarMaxStringLength} : {}),
        ...(resolved.grammarMaxItems !== undefined ? {maxItems: resolved.grammarMaxItems} : {})
    }, log) : null;
    const apiKey = remote === null ? null : readApiKey(remote);
    // local: the GPUs found and one placement per replica, before the prepare stage (a bad placement option fails first)
    const placed = remote === null ? await placeLocalRun({gpu: resolved.gpu, workers: resolved.workers, placement: resolved.placement}) : null;
    // the dir is ours before the prepare stage writes its cache/ there (a run the lock refuses writes nothing)
    const lock = await lockOutputDir(resolved.output);
    let prepareResult: PrepareResult;
    try {
        prepareResult = await prepare({
            ...resolved, maxTokens: resolved.generation.maxTokens, ...(remote !== null ? {remoteBaseUrl: remote.baseUrl} : {}),
            ...(hooks !== null ? {hooks: hooks.file, loadedHooks: hooks} : {})
        });
    } catch (err) {
        await lock.release();
        throw err;
    }
    const {job: prepared, model: modelFile, contextSize} = prepareResult;
    log(`prepared ${prepared.totalRows} rows${prepared.fromCache ? " (from cache)" : ""}: ${prepared.rowCount} to generate, ${prepared.failureCount} failed in prepare`);

    const store = await OutputStore.open({
        dir: resolved.output,
        lock,
        format: resolved.format,
        shardSize: resolved.shardSize,
        overwrite: resolved.overwrite,
        onLog: log,
        identity: runIdentity.manifestIdentity(resolved, {inputHash: prepared.inputHash, model: modelFile.fingerprint, hooks: hooks !== null ? {file: hooks.file, sha256: hooks.sha256} : null}),
        meta: {airlabel: version, model: modelFile.path, input: resolved.input, totalRows: prepared.totalRows,
            // the answer schema itself (the identity holds only its hash): export/import/stats read the labels from it
            ...(answerSchema.jsonSchema !== null ? {schema: answerSchema.jsonSchema} : {}),
            ...(remote !== null ? {backend: "openai", baseUrl: remote.baseUrl, endpoint: remote.endpoint} : {})}
    });
    let engine: Engine | undefined;
    let openai: OpenAIEngine | undefined;
    const progress: AnnotateProgress = {totalRows: prepared.totalRows, resumedRows: 0, doneRows: 0, failedRows: 0, generatedTokens: 0, promptTokens: 0, elapsedMs: 0};
    let okRows = 0;
    let evaluatedPromptTokens = 0;
    let stopped = false;
    let loadMs = 0;
    let generationMs = 0;
    let generationStart = 0;
    const firstTokenMs: number[] = [];
    let parallel = remote !== null ? remote.concurrency : resolved.parallel ?? 8;
    let workers = resolved.workers;
    const modelName = remote !== null ? resolved.model : modelFile.path.split(/[\\/]/u).pop() ?? modelFile.path;
    try {
        const committed = await store.committedIdx();
        progress.resumedRows = committed.size;
        if (committed.size > 0) log(`resuming: ${committed.size} rows already committed in ${resolved.output}`);
        const recordFailure = async (failure: PreparedFailure) => {
            await store.fail({idx: failure.idx, stage: failure.stage, reason: failure.reason, response: null, finishReason: null, attempts: 0, model: null, location: failure.location,
                ...(failure.columns !== undefined ? {columns: failure.columns} : {})});
            progress.failedRows++;
            progress.doneRows++;
        };
        const pending = pendingRows(prepared, committed, recordFailure);
        const first = await pending.next();
        if (first.done !== true) {
            // local: parallel sequences fitted to memory before any model loads
            const plan = placed === null ? null : await fitLocalRun(placed, {modelPath: resolved.model, gpuLayers: resolved.gpuLayers, contextSize, parallel: resolved.parallel});
            if (plan !== null) {
                parallel = plan.parallel;
                workers = plan.placements.length;
                for (const note of plan.notes) log(note);
            }
            engine = remote !== null ? openai = new OpenAIEngine({
                ...remote, model: resolved.model, apiKey, system: resolved.system, schema: answerSchema.jsonSchema,
                ...(resolved.signal !== undefined ? {signal: resolved.signal} : {}),
                schemaOrigin: resolved.schemaOrigin, generation: resolved.generation, retriesInvalid: resolved.retriesInvalid, onLog: log,
                hooks, ...(resolved.hookTimeoutMs !== undefined ? {hookTimeoutMs: resolved.hookTimeoutMs} : {})
            }) : new LocalEngine({
                modelPath: resolved.model, gpu: resolved.gpu, gpuLayers: resolved.gpuLayers, threads: resolved.threads ?? null,
                contextSize, parallel, chatTemplate: resolved.chatTemplate, system: resolved.system,
                schema: answerSchema.jsonSchema, schemaOrigin: resolved.schemaOrigin, grammar, generation: resolved.generation,
                retriesInvalid: resolved.retriesInvalid, workers, placements: plan!.placements,
                // only validate/parse run in the worker
                ...(answerHooks ? {hooks: hooks.file} : {}), ...(resolved.hookTimeoutMs !== undefined ? {hookTimeoutMs: resolved.hookTimeoutMs} : {})
            });
            const rowsById = new Map<number, PreparedRow>();
            const onResult = async (result: EngineResult) => {
                const row = rowsById.get(result.idx)!;
                rowsById.delete(result.idx);
                progress.doneRows++;
                progress.promptTokens += result.promptTokens;
                evaluatedPromptTokens += result.evaluatedPromptTokens ?? 0;
                progress.generatedTokens += result.completionTokens;
                if (result.firstTokenMs >= 0) firstTokenMs.push(result.firstTokenMs);
                if (result.ok) {
                    okRows++;
                    await store.add({
                        idx: result.idx, columns: row.columns, annotation: result.annotation, finishReason: result.finishReason,
                        promptTokens: result.promptTokens, completionTokens: result.completionTokens, attempts: result.attempts, model: modelName
                    });
                } else {
                    progress.failedRows++;
                    await store.fail({
                        idx: result.idx, stage: result.stage ?? "validate", reason: result.reason ?? "invalid answer",
                        // a request the backend refused has no answer of its own
                        response: result.stage === "generate" && result.response === "" ? null : result.response,
                        finishReason: result.stage === "generate" ? null : result.finishReason, attempts: result.attempts, model: modelName, columns: row.columns
                    });
                }
            };
            const loadStart = performance.now();
            const loaded = await engine.ready().catch((err: unknown) => {
                // stopped while the openai backend probed the server
                if (err instanceof RequestStoppedError) return null;
                throw err;
            });
            stopped = loaded === null;
            loadMs = performance.now() - loadStart;
            if (loaded !== null && remote !== null) log(`engine: ${loaded.engine}`);
            else if (loaded !== null) log(`engine: ${loaded.engine}; parallel ${parallel}${workers > 1 ? ` x ${workers} workers` : ""}, context ${contextSize} per sequence`);
            if (loaded?.hint != null) log(`hint: ${loaded.hint}`);
            generationStart = performance.now();
            if (loaded !== null) try {
                let waiting: PreparedRow | null = first.value;
                const nextTask = async (): Promise<Task | null> => {
                    const row = waiting ?? (await pending.next()).value ?? null;
                    waiting = null;
                    if (row === null) return null;
                    rowsById.set(row.idx, row);
                    return taskOf(row, resolved.generation.seed, resolved.seedColumn, answerHooks);
                };
                stopped = await feed(engine, nextTask, onResult, resolved.signal, () => {
                    progress.elapsedMs = Date.now() - startedAt;
                    resolved.onProgress?.({...progress});
                });
            } catch (err) {
                // the engine failed as a whole (a server gone): keep every finished row, the rest stays resumable
                await store.commit();
                throw err;
            }
        }
        await store.commit();
        if (generationStart > 0) generationMs = performance.now() - generationStart;
        const stats = store.stats;
        const allCommitted = stats.committedRows + stats.committedErrors >= prepared.totalRows;
        // a stop after the last row was handed out can still leave rows cut off (openai backend): stopped, not done
        if (!allCommitted && resolved.signal?.aborted === true) stopped = true;
        const complete = !stopped && allCommitted;
        progress.elapsedMs = Date.now() - startedAt;
        resolved.onProgress?.({...progress});
        const seconds = Math.max(generationMs > 0 ? generationMs : progress.elapsedMs, 1) / 1000;
        const result: AnnotateResult = {
            output: resolved.output, totalRows: prepared.totalRows, resumedRows: progress.resumedRows, doneRows: progress.doneRows,
            okRows, failedRows: progress.failedRows, promptTokens: progress.promptTokens, evaluatedPromptTokens, generatedTokens: progress.generatedTokens,
            elapsedMs: progress.elapsedMs, loadMs, generationMs, rowsPerSecond: progress.doneRows / seconds,
            promptTokensPerSecond: progress.promptTokens / seconds, generatedTokensPerSecond: progress.generatedTokens / seconds,
            timeToFirstTokenMs: median(firstTokenMs), peakRssBytes: process.resourceUsage().maxRSS * 1024,
            stopped, complete, preparedFromCache: prepared.fromCache, contextSize, parallel, backend: remote !== null ? "openai" : "local",
            requests: openai?.requestStats.requests ?? 0, requestRetries: openai?.requestStats.retries ?? 0,
            stepProfile: engine?.stepProfile?.() ?? null
        };
        if (complete) await store.markComplete({...result});
        return result;
    } finally {
        await engine?.dispose();
        await store.close();
    }
}

type Task = EngineTask;

/**
 * What the engine gets for a row: its prompt, its own system message (prompt hook), its first seed when a seed
 * column replaces idx (generate: `seed + sample`), and its kept columns when validate/parse hooks need them.
 */
function taskOf(row: PreparedRow, baseSeed: number, seedColumn: string | undefined, answerHooks: boolean): Task {
    const task: Task = {idx: row.idx, prompt: row.prompt};
    if (row.system !== undefined) task.system = row.system;
    if (seedColumn !== undefined) {
        const value = row.columns[seedColumn];
        if (!isNonNegativeInteger(value))
            throw new AirlabelError(`row idx ${row.idx}: seed column "${seedColumn}" holds ${value === undefined ? "nothing" : stringifyJson(value)}, not a non-negative integer; keep that column and give it integers`);
        task.seed = baseSeed + value;
    }
    if (answerHooks) task.row = row.columns;
    return task;
}

/**
 * Compiles the answer schema's grammar once, for every worker (a schema that cannot become a grammar fails before
 * any model loads), and says which keywords decoding enforces and which only validation checks.
 */
function compileAndReportGrammar(schema: Record<string, unknown> | boolean, options: CompileSchemaGrammarOptions, log: (line: string) => void): string {
    const grammar = compileSchemaGrammar(schema, options);
    log(`schema: ${grammar.enforced.length} keyword${grammar.enforced.length === 1 ? "" : "s"} enforced while decoding (grammar: ${grammar.rules} rules, ${grammar.bytes} bytes)`);
    if (grammar.validatedOnly.length > 0)
        log(`schema: validated after decoding only (retried, then recorded as failed): ${grammar.validatedOnly.map((pointer) => `${pointer}${grammar.reasons[pointer] !== undefined ? ` (${grammar.reasons[pointer]})` : ""}`).join("; ")}`);
    if (grammar.ignored.length > 0) log(`schema: ignored (neither the grammar nor validation applies them): ${grammar.ignored.join(", ")}`);
    return grammar.gbnf;
}

function median(values: number[]): number {
    if (values.length === 0) return 0;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The job's rows not committed yet, in generation order, read window by window; prepare's failures not committed
 * yet are recorded as they come.
 */
async function* pendingRows(job: PreparedJob, committed: Set<number>, recordFailure: (failure: PreparedFailure) => Promise<void>): AsyncGenerator<PreparedRow, null> {
    for await (const window of job.windows()) {
        for (const failure of window.failures) if (!committed.has(failure.idx)) await recordFailure(failure);
        for (const row of window.rows) if (!committed.has(row.idx)) yield row;
    }
    return null;
}

/**
 * Keeps the engine full: up to twice its capacity in flight, a new row pulled and submitted as each finishes.
 * Resolves true when stopped by the signal (in-flight rows are finished and kept, nothing new is started).
 */
async function feed(engine: Engine, nextTask: () => Promise<Task | null>, onResult: (result: EngineResult) => Promise<void>, signal: AbortSignal | undefined, tick: () => void): Promise<boolean> {
    const limit = engine.capacity * 2;
    let exhausted = false;
    let failure: unknown = null;
    const inFlight = new Set<Promise<void>>();
    let writes: Promise<void> = Promise.resolve();
    const launch = (task: Task) => {
        const promise = engine.generate(task).then(
            (result) => {
                writes = writes.then(() => onResult(result));
                return writes;
            },
            (err: unknown) => {
                // a row the stop cut off (openai backend) is not committed: the resume generates it
                if (!(err instanceof RequestStoppedError)) failure ??= err;
            }
        ).catch((err: unknown) => {
            failure ??= err;
        }).finally(() => {
            inFlight.delete(promise);
            tick();
        });
        inFlight.add(promise);
    };
    const aborted = signal !== undefined ? [abortPromise(signal)] : [];
    while (!exhausted && failure === null && signal?.aborted !== true) {
        while (inFlight.size < limit && !exhausted) {
            const task = await nextTask();
            if (task === null) exhausted = true;
            else launch(task);
        }
        if (inFlight.size > 0) await Promise.race([...inFlight, ...aborted]);
    }
    await Promise.all(inFlight);
    await writes;
    if (failure !== null) {
        if (failure instanceof AirlabelError) throw failure;
        const message = failure instanceof Error ? failure.message : String(failure);
        throw new EngineError(`the local engine failed: ${message.split("\n")[0]}`, {cause: failure});
    }
    if (exhausted) return false;
    // stopped: the next row, if any, is left for the resume
    return true;
}

function abortPromise(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), {once: true});
    });
}
