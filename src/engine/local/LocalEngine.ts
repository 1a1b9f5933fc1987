import fs from "node:fs";
import {fileURLToPath} from "node:url";
import {Piscina} from "piscina";
import type {Engine} from "../Engine.js";
import {EngineError} from "../EngineError.js";
import {createStepProfileBuffer, readStepProfile, type StepProfile} from "../StepProfile.js";
import type {EngineResult, EngineTask, WarmupResult} from "../EngineTask.js";
import type {StoppedTaskResult, WarmupTask, WorkerConfig} from "./WorkerProtocol.js";
import {RowStoppedError} from "../RowStoppedError.js";
import {DEFAULT_STOP_GRACE_MS} from "../../options/AnnotateOptions.js";

export type LocalEngineOptions = Omit<WorkerConfig, "stopFlag" | "placementClaims" | "stepProfile"> & {
    /** The run's stop: no row starts after it, rows in flight get `stopGraceMs` to finish, then the workers cut them off. Defaults to none. */
    signal?: AbortSignal;
    /** How long rows in flight may still take after the stop (milliseconds). Defaults to 5000. */
    stopGraceMs?: number;
};

/**
 * The local backend: a piscina pool of worker threads, each owning one model instance and a context with
 * `parallel` sequences. `generate()` resolves per row; rows are fed continuously, so a finished sequence
 * takes the next row immediately.
 */
export class LocalEngine implements Engine {
    public readonly options: LocalEngineOptions;
    private readonly _pool: Piscina;
    private readonly _stepProfile: SharedArrayBuffer;
    /** Set to 1 (and notified) when the stop's grace period ends: the workers cut off the rows they hold. */
    private readonly _stopFlag = new Int32Array(new SharedArrayBuffer(4));
    private _graceTimer: NodeJS.Timeout | undefined;
    private readonly _onStop = () => {
        this._graceTimer = setTimeout(() => this.cutOffRows(), this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
        this._graceTimer.unref();
    };
    private _disposed = false;

    public constructor(options: LocalEngineOptions) {
        this.options = options;
        this._stepProfile = createStepProfileBuffer(options.workers);
        const {signal, stopGraceMs: _grace, ...config} = options;
        const workerData: WorkerConfig = {
            ...config,
            // the counter by which each worker takes its own placement (replica i -> placement i)
            ...(options.placements !== undefined ? {placementClaims: new SharedArrayBuffer(4)} : {}),
            stepProfile: this._stepProfile,
            stopFlag: this._stopFlag.buffer as SharedArrayBuffer
        };
        this._pool = new Piscina({
            filename: workerFileUrl(),
            workerData,
            minThreads: options.workers,
            maxThreads: options.workers,
            // twice the sequences: a finished sequence finds its next row already waiting in the worker
            concurrentTasksPerWorker: options.parallel * 2,
            // a worker with no task left must keep its event loop running: the native decode loop may still hand it
            // events to acknowledge (piscina's default blocks an idle worker in Atomics.wait until the next task)
            atomics: "disabled",
            idleTimeout: Number.MAX_SAFE_INTEGER
            // no maxQueue: annotate() bounds what is in flight itself (twice the capacity)
        });
        if (signal?.aborted === true) this._onStop();
        // removed on dispose: a job's steps share one signal
        else signal?.addEventListener("abort", this._onStop, {once: true});
    }

    /** Cuts off every row the workers hold now (the stop's grace period is over): each rejects with RowStoppedError. */
    public cutOffRows(): void {
        Atomics.store(this._stopFlag, 0, 1);
        Atomics.notify(this._stopFlag, 0);
    }

    /** How many rows can be generating at once across all workers. */
    public get capacity(): number {
        return this.options.workers * this.options.parallel;
    }

    /** Loads the model and context in every worker (so that timing the rows leaves loading out). */
    public async ready(): Promise<WarmupResult> {
        const warmup: WarmupTask = {warmup: true};
        try {
            const results = await Promise.all(Array.from({length: this.options.workers}, () => this._pool.run(warmup) as Promise<WarmupResult>));
            return results[0]!;
        } catch (err) {
            // an error thrown in a worker arrives as a plain Error: its class (and exit code) stays behind
            throw EngineError.fromWorker(err);
        }
    }

    /** Where the workers' decode steps spent their time so far, summed over workers. */
    public stepProfile(): StepProfile {
        return readStepProfile(this._stepProfile);
    }

    public async generate(task: EngineTask): Promise<EngineResult> {
        const result = (await this._pool.run(task)) as EngineResult | StoppedTaskResult;
        if ("stopped" in result) throw new RowStoppedError(`row ${result.idx} was cut off by the stop; a resume generates it`);
        return result;
    }

    /** Terminates the workers (and their models). Safe to call twice. */
    public async dispose(): Promise<void> {
        if (this._disposed) return;
        this._disposed = true;
        clearTimeout(this._graceTimer);
        this.options.signal?.removeEventListener("abort", this._onStop);
        await this._pool.destroy();
    }
}

/**
 * The worker must be plain JavaScript: from the compiled package it sits beside this file; when this file
 * runs from TypeScript source (tests), the compiled copy in dist/ is used (`npm test` builds first).
 */
function workerFileUrl(): string {
    const here = new URL("./localWorker.js", import.meta.url);
    if (fs.existsSync(fileURLToPath(here))) return here.href;
    const fromDist = new URL("../../../dist/engine/local/localWorker.js", import.meta.url);
    if (fs.existsSync(fileURLToPath(fromDist))) return fromDist.href;
    throw new Error("airlabel's worker script is not built; run `npm run build` first");
}
