import type {Comparison} from "../compare/readComparison.js";
import {readOutput} from "../output/readOutput.js";
import {inputColumnsOf, viewOf, type JobRows} from "./jobRows.js";
import type {RowFilter} from "./RowFilter.js";

/** The rows a single-model step answered, with `steps.<name> = {annotation, model}`; the first step's rows come from its output. */
export async function singleAnswers(dir: string, name: string, rows: JobRows | null): Promise<JobRows> {
    const {rows: answered} = await readOutput(dir, {items: false});
    const next: JobRows = new Map();
    for (const record of answered) {
        const idx = Number(record.idx);
        const previous = rows === null ? {columns: inputColumnsOf(record), steps: {}} : rows.get(idx);
        if (previous === undefined) continue;
        next.set(idx, {columns: previous.columns, steps: {...previous.steps, [name]: {annotation: record.annotation ?? null, model: record.model ?? null}}});
    }
    return next;
}

/** The rows every model of a comparison step answered, with `steps.<name> = {response_<model>: answer, ...}`. */
export function compareAnswers(comparison: Comparison, name: string, rows: JobRows | null): JobRows {
    const next: JobRows = new Map();
    for (const row of comparison.rows) {
        if (!comparison.models.every((model) => row.responses[model.id]?.ok === true)) continue;
        const previous = rows === null ? {columns: row.columns, steps: {}} : rows.get(row.idx);
        if (previous === undefined) continue;
        const answers = Object.fromEntries(comparison.models.map((model) => [`response_${model.id}`, row.responses[model.id]!.annotation]));
        next.set(row.idx, {columns: previous.columns, steps: {...previous.steps, [name]: answers}});
    }
    return next;
}

/** The rows a `where:` keeps. */
export function filterRows(rows: JobRows, where: RowFilter): JobRows {
    return new Map([...rows].filter(([idx, row]) => where.test(viewOf(idx, row))));
}
