import type {JobRun} from "./JobRun.js";
import type {StepPlan} from "./planJob.js";
import {filterRows} from "./stepAnswers.js";

/** A filter step: keeps the rows its `where:` matches. Always goes on. */
export async function runFilterStep(run: JobRun, step: StepPlan): Promise<boolean> {
    const rows = await run.inputRows();
    const before = rows.size;
    run.rows = filterRows(rows, step.where!);
    run.results.push({
        name: step.name,
        type: "filter",
        dir: null,
        inputRows: before,
        passedRows: run.rows.size,
        skipped: false,
        summary: `kept ${run.rows.size} of ${before} rows (${step.where!.source})`
    });
    run.stepLog(step)(`kept ${run.rows.size} of ${before} rows`);
    return true;
}
