import fs from "node:fs";
import type {RunJobOptions} from "../options/RunJobOptions.js";
import {JobError} from "./JobError.js";
import type {RunJobResult} from "./JobResult.js";
import {writeJobResult} from "./jobRows.js";
import {JobRun} from "./JobRun.js";
import {planJob, type StepPlan} from "./planJob.js";
import {runAnnotateStep} from "./runAnnotateStep.js";
import {runCompareStep} from "./runCompareStep.js";
import {runFilterStep} from "./runFilterStep.js";
import {runGenerateStep} from "./runGenerateStep.js";

/** The module that runs a step of this kind; each resolves false when the step did not complete (the job stops there). */
function runnerOf(step: StepPlan): (run: JobRun, step: StepPlan) => Promise<boolean> {
    if (step.type === "filter") return runFilterStep;
    if (step.type === "generate") return runGenerateStep;
    return step.models !== undefined ? runCompareStep : runAnnotateStep;
}

/**
 * Runs a multi-step job: its steps in order, each into `<output>/steps/<name>/` with its own shards and resume.
 * A step's rows are the job's input rows joined by idx (the original row's idx, through every step) with the
 * answers of the earlier steps, which its template reads as `{steps.<name>.annotation...}` (a comparison step:
 * `{steps.<name>.response_<model>}`); only rows every earlier step answered (and its `where:` keeps) are handed on.
 * A finished step is skipped when nothing about it changed; a changed step is refused with the difference named.
 * At the end `<output>/result.<format>` holds the rows that passed every step.
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
    const plan = planJob(options);
    await fs.promises.mkdir(plan.output, {recursive: true});
    const run = new JobRun(plan, options);
    for (const step of plan.steps) {
        if (options.signal?.aborted === true || !(await runnerOf(step)(run, step))) return run.incomplete();
    }
    const rows = run.rows;
    if (rows === null) return run.incomplete();
    for (const name of run.modelSteps) {
        for (const row of rows.values()) {
            if (name in row.columns)
                throw new JobError(`${plan.origin}: step "${name}" has the name of an input column, which the result would overwrite; rename the step`);
            break;
        }
    }
    const written = await writeJobResult(plan.output, plan.format, rows, run.modelSteps);
    run.log(`job: ${written.rows} rows passed every step; result ${written.file}`);
    return {output: plan.output, steps: run.results, result: written.file, rows: written.rows, complete: true, stopped: false};
}
