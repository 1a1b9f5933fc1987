import {annotate} from "../pipeline/annotate.js";
import {skipKeyOf} from "../pipeline/skipKeyOf.js";
import {resolveJobOptions} from "./jobOptions.js";
import type {JobRun} from "./JobRun.js";
import type {StepPlan} from "./planJob.js";
import {singleAnswers} from "./stepAnswers.js";
import {modelStepInput} from "./modelStepInput.js";

/** A single-model step: annotates the rows it is handed (skipped when it finished before with the same skip key). False when it did not complete. */
export async function runAnnotateStep(run: JobRun, step: StepPlan): Promise<boolean> {
    const input = await modelStepInput(run, step);
    if (input === null) return true;
    const resolved = await run.inStep(step, async () => resolveJobOptions(input.raw, {}, ["input", "model", "output"]));
    run.modelSteps.push(step.name);
    const key = await skipKeyOf(resolved);
    const single = await run.runSingle(step.name, "annotate", input.stepDir, key, resolved.overwrite === true, () =>
        run.inStep(step, () => annotate({...resolved, ...run.common(step)}))
    );
    if (single === null) return false;
    const {run: result} = single;
    const before = run.rows?.size;
    run.rows = await singleAnswers(input.stepDir, step.name, run.rows);
    const rows = run.rows;
    const total = result?.totalRows ?? before ?? rows.size;
    run.results.push({
        name: step.name,
        type: "annotate",
        dir: input.stepDir,
        inputRows: total,
        passedRows: rows.size,
        skipped: result === undefined,
        summary: `${result === undefined ? "already complete, skipped; " : ""}${rows.size} of ${total} rows answered`,
        ...(result !== undefined ? {run: result} : {})
    });
    return true;
}
