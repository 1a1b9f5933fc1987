import {compareModelsWithRows} from "../compare/compareModels.js";
import {resolveJobOptions} from "./jobOptions.js";
import type {JobRows} from "./jobRows.js";
import type {JobRun} from "./JobRun.js";
import type {StepPlan} from "./planJob.js";
import {compareAnswers} from "./stepAnswers.js";
import {modelStepInput} from "./modelStepInput.js";

/** A step with `models:`: compares them on the rows it is handed; the rows every model answered go on. False when it did not complete. */
export async function runCompareStep(run: JobRun, step: StepPlan): Promise<boolean> {
    const input = await modelStepInput(run, step);
    if (input === null) return true;
    const resolved = await run.inStep(step, async () => resolveJobOptions(input.raw, {}, ["input", "output"]));
    run.modelSteps.push(step.name);
    const {model: _model, ...base} = resolved;
    // the rows the merged view was written from: every model's shards are read once
    const {result: comparison, comparison: compared} = await run.inStep(step, () =>
        compareModelsWithRows({...base, models: step.models!, ...run.common(step)})
    );
    const passed: JobRows | null = compared !== null ? compareAnswers(compared, step.name, run.rows) : null;
    run.results.push({
        name: step.name,
        type: "compare",
        dir: input.stepDir,
        inputRows: run.rows === null ? comparison.rows : input.handed,
        passedRows: passed?.size ?? 0,
        skipped: comparison.models.every((m) => m.skipped),
        summary: comparison.complete ? `${comparison.models.length} models on ${comparison.rows} rows; ${passed!.size} answered by every model` : "incomplete",
        comparison
    });
    if (!comparison.complete) return false;
    run.rows = passed!;
    return true;
}
