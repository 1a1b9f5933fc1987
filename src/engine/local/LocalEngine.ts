import fs from "node:fs";
import {fileURLToPath} from "node:url";
import {Piscina} from "piscina";
import type {Engine} from "../Engine.js";
import {EngineError} from "../EngineError.js";
import {setOpenMpWaitPolicy} from "../../llama/setOpenMpWaitPolicy.js";
import {createStepProfileBuffer, readStepProfile, type StepProfile} from "../StepProfile.js";
import type {EngineResult, EngineTask, WarmupResult} from "../EngineTask.js";
import type {WarmupTask, WorkerConfig} from "./WorkerProtocol.js";

export type LocalEngineOptions = WorkerConfig;

/**
 * The local backend: a piscina pool of worker threads, each owning one model instance and a context with
 * `parallel` sequences. `generate()` resolves per row; rows are fed continuously, so a finished sequence
 * takes the next row immediately.
 */
export class LocalEngine implements Engine {
    public readonly options: LocalEngineOptions;
    private readonly _pool: Piscina;
    private readonly _stepProfile: SharedArrayBuffer;
    private _disposed = false;

    public constructor(options: LocalEngineOptions) {
        this.options = options;
        // before any worker loads llama.cpp (the workers' environment is a copy)
        setOpenMpWaitPolicy();
        this._stepProfile = createStepProfileBuffer(options.workers);
        this._pool = new Piscina({
            filename: workerFileUrl(),
            workerData: {
                ...options,
                // the counter by which each worker takes its own placement (replica i -> placement i)
                ...(options.placements !== undefined ? {placementClaims: new SharedArrayBuffer(4)} : {}),
                stepProfile: this._stepProfile
            },
            minThreads: options.workers,
            maxThreads: options.workers,
            // twice the sequences: a finished sequence finds its next row already waiting in the worker
            concurrentTasksPerWorker: options.parallel * 2,
            idleTimeout: Number.MAX_SAFE_INTEGER
            // no maxQueue: annotate() bounds what is in flight itself (twice the capacity)
        });
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

    public generate(task: EngineTask, signal?: AbortSignal): Promise<EngineResult> {
        return this._pool.run(task, signal === undefined ? {} : {signal}) as Promise<EngineResult>;
    }

    /** Terminates the workers (and their models). Safe to call twice. */
    public async dispose(): Promise<void> {
        if (this._disposed) return;
        this._disposed = true;
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
