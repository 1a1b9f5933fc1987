import path from "node:path";
import {JobError} from "./JobError.js";
import type {JobRun} from "./JobRun.js";
import {writeStepInput, type JobRows} from "./jobRows.js";
import {inputOnly, type StepPlan} from "./planJob.js";
import {filterRows} from "./stepAnswers.js";

/** What a model step runs on: its options (input included) before they are resolved, and the rows it was handed. */
export type ModelStepInput = {raw: Record<string, unknown>; handed: number; stepDir: string};

/**
 * The options and input of an annotate or compare step: the job's input file itself for a first step without
 * `where:`, else the rows so far (filtered by its `where:`) written to `<output>/inputs/<name>.jsonl`, their idx kept.
 * Null when no row is left to run (the step's result is then recorded here).
 */
export async function modelStepInput(run: JobRun, step: StepPlan): Promise<ModelStepInput | null> {
    const {origin, output, jobDefaults, overrides} = run.plan;
    const stepDir = run.stepDir(step);
    const {name: _name, type: _type, where: _where, models: _models, ...stepOptions} = step.step;
    const raw: Record<string, unknown> = {...jobDefaults, ...stepOptions, ...overrides, output: stepDir};
    delete raw.quiet;
    delete raw.failOnErrors;
    delete raw.json;
    if (step.models !== undefined) delete raw.model;
    else raw.model = step.model;
    if (step.models === undefined && raw.model === undefined)
        throw new JobError(`${origin}: steps[${step.index}]: no model; set model: (or models: to compare) in the step or the job, or pass --model`);
    if (run.rows === null && step.where === null) {
        raw.input = run.plan.input;
        return {raw, handed: 0, stepDir};
    }
    const rows = await run.inputRows();
    const selected: JobRows = step.where === null ? rows : filterRows(rows, step.where);
    for (const row of selected.values()) {
        if ("steps" in row.columns || "idx" in row.columns)
            throw new JobError(
                `${origin}: the input has a column named "${"steps" in row.columns ? "steps" : "idx"}", which a multi-step job uses for the earlier steps' answers; rename the column`
            );
    }
    const inputFile = path.join(output, "inputs", `${step.name}.jsonl`);
    await writeStepInput(inputFile, selected);
    raw.input = inputFile;
    raw.inputFormat = "jsonl";
    raw.idxColumn = "idx";
    // the first step matched the input's rows by key; later steps take its idx
    delete raw.idColumn;
    delete raw.changedRows;
    // later steps see the input columns the first step kept; the joined `steps` column is for templates only
    raw.keepColumns = stepOptions.keepColumns ?? columnNamesOf(selected);
    for (const key of inputOnly) if (!(key in stepOptions)) delete raw[key];
    if (selected.size === 0) {
        run.stepLog(step)("no rows to run (the earlier steps and the filters left none)");
        run.results.push({
            name: step.name,
            type: step.models !== undefined ? "compare" : "annotate",
            dir: stepDir,
            inputRows: 0,
            passedRows: 0,
            skipped: false,
            summary: "no rows left to run"
        });
        run.rows = selected;
        run.modelSteps.push(step.name);
        return null;
    }
    return {raw, handed: selected.size, stepDir};
}

function columnNamesOf(rows: JobRows): string[] {
    const names = new Set<string>();
    for (const row of rows.values()) for (const name of Object.keys(row.columns)) names.add(name);
    return [...names];
}
