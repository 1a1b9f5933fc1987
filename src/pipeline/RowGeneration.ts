import {AirlabelError} from "../AirlabelError.js";
import type {Engine} from "../engine/Engine.js";
import type {EngineResult, EngineTask} from "../engine/EngineTask.js";
import {RowStoppedError} from "../engine/RowStoppedError.js";
import type {StepProfile} from "../engine/StepProfile.js";
import {stringifyJson} from "../json/stringifyJson.js";
import type {AnnotateProgress} from "../options/AnnotateOptions.js";
import {isNonNegativeInteger} from "../options/checkOption.js";
import type {ResolvedAnnotateOptions} from "../options/validateAnnotateOptions.js";
import type {CommittedRows, OutputStore} from "../output/OutputStore.js";
import type {RowKey} from "../output/OutputRow.js";
import type {PreparedFailure, PreparedJob, PreparedRow} from "../prepare/PreparedJob.js";
import type {EnginePlan, EngineSetup} from "./EngineSetup.js";
import {feedEngine} from "./feedEngine.js";
import {type InputChanges, RowMatcher, type RowPlace} from "./RowMatcher.js";

export type RowGenerationOptions = {
    resolved: Pick<ResolvedAnnotateOptions, "output" | "generation" | "seedColumn" | "signal" | "onProgress" | "retryFailed" | "changedRows">;
    /** What the run's rows are matched by across re-runs (RowKeys.source), or null when by position (see RowMatcher). */
    keySource: string | null;
    job: PreparedJob;
    /** Where rows are written, opened on the run's output dir. */
    store: OutputStore;
    setup: EngineSetup;
    /** Context size per sequence (the prepare stage's). */
    contextSize: number;
    /** The model name recorded with each row. */
    modelName: string;
    /** Whether validate/parse hooks run, which get each row's kept columns. */
    answerHooks: boolean;
    /** When the run started (`Date.now()`): progress reports the time since. */
    startedAt: number;
    log: (line: string) => void;
};

/** What one run generated, for its result. */
export type GeneratedRows = {
    progress: AnnotateProgress;
    okRows: number;
    /** `--retry-failed`: the failed rows attempted again. */
    retriedRows: number;
    /** How the input compares with what was answered before; null when the run stopped before it saw every row. */
    inputChanges: InputChanges | null;
    evaluatedPromptTokens: number;
    stopped: boolean;
    complete: boolean;
    loadMs: number;
    generationMs: number;
    /** Each row's time to its first token, in the order the rows finished. */
    firstTokenMs: number[];
    parallel: number;
    requests: number;
    requestRetries: number;
    stepProfile: StepProfile | null;
    /** The answers of this run with a measured confidence (`--confidence`, `--samples`): how many, their sum, how many below 0.5. */
    confidence: {answers: number; sum: number; below50: number};
};

/**
 * The generation stage of one run: records prepare's failures, then (when rows are left) plans and starts the
 * engine, feeds it the rows not committed yet and writes each result to the store as it comes, until every row is
 * done or the signal stops the run. {@link dispose} releases the engine, also after a failure.
 */
export class RowGeneration {
    readonly #options: RowGenerationOptions;
    readonly #progress: AnnotateProgress;
    readonly #rowsById = new Map<number, {row: PreparedRow; rowKey: RowKey | undefined}>();
    /** Rows of the input that were committed before and are not generated again. */
    #alreadyCommitted = 0;
    #sawEveryRow = false;
    readonly #firstTokenMs: number[] = [];
    #okRows = 0;
    readonly #confidence = {answers: 0, sum: 0, below50: 0};
    #evaluatedPromptTokens = 0;
    #stopped = false;
    #loadMs = 0;
    #generationStart = 0;
    #parallel: number;
    #plan: EnginePlan | null = null;
    #engine: Engine | undefined;

    public constructor(options: RowGenerationOptions) {
        this.#options = options;
        this.#progress = {totalRows: options.job.totalRows, resumedRows: 0, doneRows: 0, failedRows: 0, generatedTokens: 0, promptTokens: 0, elapsedMs: 0};
        this.#parallel = options.setup.parallel;
    }

    /** Generates every row not committed yet (or until stopped), commits what was written and reports the final progress. */
    public async run(): Promise<GeneratedRows> {
        const {resolved, job, store, log} = this.#options;
        const committed = await store.committedRows();
        // --retry-failed takes exactly the rows whose latest row is an error row; otherwise every row not committed
        const retry = resolved.retryFailed;
        const matcher = new RowMatcher(committed, {keySource: this.#options.keySource, totalRows: job.totalRows, retry, changedRows: resolved.changedRows});
        // until every row was seen: what is committed, at most the input's rows (some may have been removed from it)
        this.#progress.resumedRows = Math.min(job.totalRows, committed.all.size - (retry ? committed.failed.size : 0));
        if (retry) log(retryLine(committed, job.totalRows));
        else if (committed.all.size > 0) log(`resuming: ${committed.all.size} rows already committed in ${resolved.output}`);
        const pending = this.#pendingRows(matcher);
        const first = await pending.next();
        if (first.done !== true) await this.#generate(first.value, pending);
        await store.commit();
        const generationMs = this.#generationStart > 0 ? performance.now() - this.#generationStart : 0;
        const allCommitted = this.#sawEveryRow && this.#alreadyCommitted + this.#progress.doneRows >= job.totalRows;
        if (this.#sawEveryRow) this.#progress.resumedRows = this.#alreadyCommitted;
        // a stop after the last row was handed out can still leave rows cut off (the grace period ended): stopped, not done
        if (!allCommitted && resolved.signal?.aborted === true) this.#stopped = true;
        this.#report();
        const requestStats = this.#plan?.requestStats() ?? {requests: 0, retries: 0};
        return {
            progress: this.#progress,
            okRows: this.#okRows,
            retriedRows: retry ? this.#progress.doneRows : 0,
            inputChanges: this.#sawEveryRow ? matcher.changes() : null,
            evaluatedPromptTokens: this.#evaluatedPromptTokens,
            stopped: this.#stopped,
            complete: !this.#stopped && allCommitted,
            loadMs: this.#loadMs,
            generationMs,
            firstTokenMs: this.#firstTokenMs,
            parallel: this.#parallel,
            requests: requestStats.requests,
            requestRetries: requestStats.retries,
            stepProfile: this.#engine?.stepProfile?.() ?? null,
            confidence: this.#confidence
        };
    }

    /** Releases the engine, if one started. */
    public async dispose(): Promise<void> {
        await this.#engine?.dispose();
    }

    async #generate(first: PendingRow, pending: AsyncGenerator<PendingRow, null>): Promise<void> {
        const {resolved, setup, contextSize, store, log} = this.#options;
        const plan = await setup.plan(contextSize);
        this.#plan = plan;
        this.#parallel = plan.parallel;
        for (const note of plan.notes) log(note);
        const engine = plan.createEngine();
        this.#engine = engine;
        const loadStart = performance.now();
        const loaded = await engine.ready().catch((err: unknown) => {
            // stopped while the openai backend probed the server
            if (err instanceof RowStoppedError) return null;
            throw err;
        });
        this.#stopped = loaded === null;
        this.#loadMs = performance.now() - loadStart;
        if (loaded !== null) log(plan.readyLine(loaded));
        if (loaded?.hint != null) log(`hint: ${loaded.hint}`);
        this.#generationStart = performance.now();
        if (loaded === null) return;
        let waiting: PendingRow | null = first;
        const nextTask = async (): Promise<EngineTask | null> => {
            const next = waiting ?? (await pending.next()).value ?? null;
            waiting = null;
            if (next === null) return null;
            this.#rowsById.set(next.row.idx, next);
            return taskOf(next.row, resolved.generation.seed, resolved.seedColumn, this.#options.answerHooks);
        };
        try {
            this.#stopped = await feedEngine(
                engine,
                nextTask,
                (result) => this.#record(result),
                resolved.signal,
                () => this.#report()
            );
        } catch (err) {
            // the engine failed as a whole (a server gone): keep every finished row, the rest stays resumable
            await store.commit();
            throw err;
        }
    }

    async #record(result: EngineResult): Promise<void> {
        const {store, modelName} = this.#options;
        const progress = this.#progress;
        const {row, rowKey} = this.#rowsById.get(result.idx)!;
        this.#rowsById.delete(result.idx);
        progress.doneRows++;
        progress.promptTokens += result.promptTokens;
        this.#evaluatedPromptTokens += result.evaluatedPromptTokens ?? 0;
        progress.generatedTokens += result.completionTokens;
        if (result.firstTokenMs >= 0) this.#firstTokenMs.push(result.firstTokenMs);
        if (result.ok) {
            this.#okRows++;
            if (typeof result.confidence === "number") {
                this.#confidence.answers++;
                this.#confidence.sum += result.confidence;
                if (result.confidence < 0.5) this.#confidence.below50++;
            }
            await store.add({
                idx: result.idx,
                columns: row.columns,
                annotation: result.annotation,
                finishReason: result.finishReason,
                promptTokens: result.promptTokens,
                completionTokens: result.completionTokens,
                attempts: result.attempts,
                model: modelName,
                ...(result.confidence !== undefined ? {confidence: result.confidence} : {}),
                ...(rowKey !== undefined ? {rowKey} : {})
            });
        } else {
            progress.failedRows++;
            await store.fail({
                idx: result.idx,
                stage: result.stage ?? "validate",
                reason: result.reason ?? "invalid answer",
                // a request the backend refused has no answer of its own
                response: result.stage === "generate" && result.response === "" ? null : result.response,
                // a refused request has no answer to tell of; a timed-out row says so
                finishReason: result.stage === "generate" && result.finishReason !== "timeout" ? null : result.finishReason,
                attempts: result.attempts,
                model: modelName,
                columns: row.columns,
                ...(rowKey !== undefined ? {rowKey} : {})
            });
        }
    }

    async #recordFailure(failure: PreparedFailure, place: RowPlace): Promise<void> {
        await this.#options.store.fail({
            idx: place.idx,
            stage: failure.stage,
            reason: failure.reason,
            response: null,
            finishReason: null,
            attempts: 0,
            model: null,
            location: failure.location,
            ...(failure.columns !== undefined ? {columns: failure.columns} : {}),
            ...(place.rowKey !== undefined ? {rowKey: place.rowKey} : {})
        });
        this.#progress.failedRows++;
        this.#progress.doneRows++;
    }

    /**
     * The job's rows to generate now (see RowMatcher), in generation order, read window by window; prepare's failures
     * to record are recorded as they come.
     */
    async *#pendingRows(matcher: RowMatcher): AsyncGenerator<PendingRow, null> {
        const placed = (place: RowPlace) => {
            if (!place.take && place.committed) this.#alreadyCommitted++;
            return place.take;
        };
        for await (const window of this.#options.job.windows()) {
            for (const failure of window.failures) {
                const place = matcher.place(failure.idx, failure.key, failure.inputHash);
                if (placed(place)) await this.#recordFailure(failure, place);
            }
            for (const row of window.rows) {
                const place = matcher.place(row.idx, row.key, row.inputHash);
                if (placed(place)) yield {row: {...row, idx: place.idx}, rowKey: place.rowKey};
            }
        }
        this.#sawEveryRow = true;
        return null;
    }

    #report(): void {
        this.#progress.elapsedMs = Date.now() - this.#options.startedAt;
        this.#options.resolved.onProgress?.({...this.#progress});
    }
}

/** A row to generate, with its idx in the run (see RowMatcher) and the key the store records for it. */
type PendingRow = {row: PreparedRow; rowKey: RowKey | undefined};

/** What a `--retry-failed` pass takes on, and what it leaves to a plain re-run. */
function retryLine(committed: CommittedRows, totalRows: number): string {
    const {all, failed} = committed;
    const left = totalRows - all.size;
    return (
        `--retry-failed: ${failed.size === 0 ? "no failed rows to retry" : `retrying the ${failed.size} failed row${failed.size === 1 ? "" : "s"}`}` +
        (left > 0 ? `; the ${left} row${left === 1 ? "" : "s"} not attempted yet are left for a run without --retry-failed` : "")
    );
}

/**
 * What the engine gets for a row: its prompt, its own system message and turns (prompt hook), its first seed when a seed
 * column replaces idx (generate: `seed + sample`), and its kept columns when validate/parse hooks need them.
 */
function taskOf(row: PreparedRow, baseSeed: number, seedColumn: string | undefined, answerHooks: boolean): EngineTask {
    const task: EngineTask = {idx: row.idx, prompt: row.prompt};
    if (row.system !== undefined) task.system = row.system;
    if (row.turns !== undefined) task.turns = row.turns;
    if (seedColumn !== undefined) {
        const value = row.columns[seedColumn];
        if (!isNonNegativeInteger(value))
            throw new AirlabelError(
                `row idx ${row.idx}: seed column "${seedColumn}" holds ${value === undefined ? "nothing" : stringifyJson(value)}, not a non-negative integer; keep that column and give it integers`
            );
        task.seed = baseSeed + value;
    }
    if (answerHooks) task.row = row.columns;
    return task;
}
