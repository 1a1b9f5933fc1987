import fs from "node:fs";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {writeFileDurable} from "../files/durableFs.js";
import type {LogLevel} from "../options/AnnotateOptions.js";
import type {RunJobOptions} from "../options/RunJobOptions.js";
import {loadManifest} from "../output/Manifest.js";
import type {AnnotateResult} from "../pipeline/annotate.js";
import {JobError} from "./JobError.js";
import type {JobStepResult, RunJobResult} from "./JobResult.js";
import {readJobInput, type JobRows} from "./jobRows.js";
import type {JobPlan, StepPlan} from "./planJob.js";

type JobStateFile = {format: "airlabel-job"; version: 1; steps: Record<string, {key: string}>};

/**
 * One run of a job: what its steps share. The rows handed from step to step (null until a step reads or makes
 * them), the step results so far, the model steps whose answers the result holds, and `job.json`, which keeps the
 * skip key of each finished single-model step.
 */
export class JobRun {
    public readonly plan: JobPlan;
    public readonly options: RunJobOptions;
    public readonly results: JobStepResult[] = [];
    /** The steps that ran a model, in order: a column each in the result. */
    public readonly modelSteps: string[] = [];
    public rows: JobRows | null = null;
    readonly #stateFile: string;
    readonly #state: JobStateFile;

    public constructor(plan: JobPlan, options: RunJobOptions) {
        this.plan = plan;
        this.options = options;
        this.#stateFile = path.join(plan.output, "job.json");
        this.#state = readState(this.#stateFile);
    }

    public log(line: string, level?: LogLevel): void {
        this.options.onLog?.(line, level);
    }

    /** A step's output dir: `<output>/steps/<name>`. */
    public stepDir(step: StepPlan): string {
        return path.join(this.plan.output, "steps", step.name);
    }

    /** Log lines of one step, prefixed with its name. */
    public stepLog(step: StepPlan): (line: string, level?: LogLevel) => void {
        return (line, level) => this.log(`[${step.name}] ${line}`, level);
    }

    /** What every run a step starts is given: the job's signal, the step's log, the job's progress callback. */
    public common(step: StepPlan): {
        signal: AbortSignal | undefined;
        onLog: (line: string, level?: LogLevel) => void;
        onProgress?: RunJobOptions["onProgress"];
    } {
        return {
            signal: this.options.signal,
            onLog: this.stepLog(step),
            ...(this.options.onProgress !== undefined ? {onProgress: this.options.onProgress} : {})
        };
    }

    /** Runs `work`, naming the step in the message of what it throws. */
    public async inStep<T>(step: StepPlan, work: () => Promise<T>): Promise<T> {
        try {
            return await work();
        } catch (err) {
            if (err instanceof AirlabelError && !(err instanceof JobError))
                throw new JobError(`step ${step.name}: ${err.message}`, {exitCode: err.exitCode, cause: err});
            throw err;
        }
    }

    /** The rows so far, reading the job's input when no step has yet. */
    public async inputRows(): Promise<JobRows> {
        const top = this.plan.top;
        this.rows ??= await readJobInput(this.plan.input, {
            skipInvalidRows: top.skipInvalidRows === true,
            ...(typeof top.inputFormat === "string" ? {inputFormat: top.inputFormat} : {})
        });
        return this.rows;
    }

    /** Runs one single-model step unless it finished before with the same skip key; null when it did not complete (stopped). */
    public async runSingle(
        name: string,
        type: "annotate" | "generate",
        dir: string,
        key: string | null,
        overwrite: boolean,
        work: () => Promise<AnnotateResult>
    ): Promise<{run?: AnnotateResult} | null> {
        const manifest = await loadManifest(dir);
        if (manifest?.complete === true && key !== null && this.#state.steps[name]?.key === key && !overwrite) {
            this.log(`[${name}] already complete in ${dir}; skipped`);
            return {};
        }
        const run = await work();
        if (!run.complete) {
            this.results.push({name, type, dir, inputRows: run.totalRows, passedRows: 0, skipped: false, summary: run.stopped ? "stopped" : "incomplete", run});
            return null;
        }
        if (key !== null) {
            this.#state.steps[name] = {key};
            await writeFileDurable(this.#stateFile, JSON.stringify(this.#state, null, 2) + "\n");
        }
        return {run};
    }

    /** The job's result when it stopped or a step did not complete: what ran so far. */
    public incomplete(): RunJobResult {
        return {output: this.plan.output, steps: this.results, result: null, rows: 0, complete: false, stopped: this.options.signal?.aborted === true};
    }
}

function readState(file: string): JobStateFile {
    try {
        const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as JobStateFile;
        if (parsed.format === "airlabel-job" && typeof parsed.steps === "object" && parsed.steps !== null) return parsed;
    } catch {
        // no state yet (or a torn one): every step is checked by its own run
    }
    return {format: "airlabel-job", version: 1, steps: {}};
}
