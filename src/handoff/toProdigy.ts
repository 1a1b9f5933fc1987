import {TextOccurrences} from "../files/prodigyInputHash.js";
import {rowConfidence} from "./rowConfidence.js";
import {AnswerFieldError, labelTextOf} from "./resolveAnswerField.js";
import type {AnswerField} from "./resolveAnswerField.js";
import type {HandoffSource} from "./readHandoffSource.js";
import {isTie, majorityOf, modelValues, suggestionFor, textColumnsOf} from "./handoffRows.js";
import {prodigyHashes} from "./prodigyHashes.js";
import {stringifyJson} from "../json/stringifyJson.js";

/*
 * Prodigy task shapes (prodi.gy docs, "Annotation interfaces" and "Loaders and Input Data"):
 * - choice (textcat.manual): {text, options: [{id, text}], accept: [ids]}; db-out adds `answer` (accept/reject/ignore)
 *   and keeps the reviewer's `accept`;
 * - binary (classification): {text, label} and the reviewer's accept/reject;
 * - free text (text_input block): the box's `field_id` (default `user_input`) is prefilled from the task's key.
 * `meta` is shown in the corner of the card; airlabel puts the row's idx there, which `airlabel import` joins on.
 */

/** One Prodigy task. */
export type ProdigyTask = Record<string, unknown> & {text: string; meta: Record<string, unknown>; _input_hash: number; _task_hash: number};

/** What `toProdigy` built. */
export interface ProdigyExport {
    tasks: ProdigyTask[];
    /** Rows left out: they keep no input columns (a row that could not be read), so there is no text to show. */
    skipped: number;
    /** Tasks of rows a model failed (included, `meta.airlabel_failed`). */
    failed: number;
    /** The input column shown as `text`. */
    textColumn: string | null;
}

/** Prodigy's text box key (`field_id`) holding a free-text or numeric answer. */
export const PRODIGY_INPUT_KEY = "user_input";

/**
 * Prodigy tasks, one per input row: `text` from `textColumn` (default: the `text` column, else the first text column),
 * the other input columns and each model's answer in `meta`, and the question by the answer's kind: `options` +
 * `accept` (the model's answer, or the majority's in a comparison, none when they tie) for labels and small scales,
 * `label` for true/false answers (accept = true, reject = false), `user_input` (prefilled) for free text and numbers.
 * Each row is its own task: `_input_hash` covers the row's idx with its text (rows with equal text do not collide),
 * `_task_hash` also the answer and the model(s) that gave it (exports of two models do not collide). A row a model
 * failed is included with `meta.airlabel_failed` (and `airlabel_failed_models` in a comparison) and the reason in
 * `meta.airlabel_error`, with no answer of the failed model prefilled.
 */
export function toProdigy(source: HandoffSource, field: AnswerField, textColumn?: string): ProdigyExport {
    const textColumns = textColumnsOf(source);
    if (textColumn !== undefined && !textColumns.includes(textColumn))
        throw new AnswerFieldError(
            `--text ${textColumn} is not a text column of the rows (they have ${textColumns.length === 0 ? "none" : textColumns.join(", ")}); pass one of those`
        );
    const shown = textColumn ?? (textColumns.includes("text") ? "text" : textColumns[0]) ?? null;
    const tasks: ProdigyTask[] = [];
    const occurrences = new TextOccurrences();
    let skipped = 0;
    let failed = 0;
    for (const row of source.rows) {
        if (Object.keys(row.columns).length === 0) {
            skipped++;
            continue;
        }
        const text = shown === null ? stringifyJson(row.columns) : String(row.columns[shown] ?? "");
        const meta: Record<string, unknown> = {idx: row.idx};
        for (const [name, value] of Object.entries(row.columns)) if (name !== shown && !(name in meta)) meta[name] = value;
        const values = modelValues(row, source, field);
        const failures = source.models.filter((model) => row.responses[model.id]?.ok === false);
        if (source.comparison) {
            meta.models = source.models.map((model) => model.model).join(", ");
            const answers: Record<string, unknown> = {};
            for (const model of source.models) {
                const response = row.responses[model.id];
                answers[model.id] = response?.ok === true ? (values.get(model.id) ?? null) : `failed: ${response?.reason ?? "no answer"}`;
            }
            meta.answers = answers;
            if (isTie(values)) meta.airlabel_tie = true;
        } else {
            const model = source.models[0]!;
            meta.model = model.model;
            meta.answer = values.get(model.id) ?? null;
        }
        if (failures.length > 0) {
            failed++;
            meta.airlabel_failed = true;
            if (source.comparison) meta.airlabel_failed_models = failures.map((model) => model.id);
            meta.airlabel_error = failures.map((model) => row.responses[model.id]!.reason ?? "failed").join("; ");
        }
        meta.field = field.name;
        const confidence = rowConfidence(row);
        if (confidence !== undefined && source.models.some((model) => typeof row.responses[model.id]?.confidence === "number")) meta.confidence = confidence;
        const chosen = source.comparison ? majorityOf(values)?.value : values.get(source.models[0]!.id);
        const task: Record<string, unknown> = {text, ...questionOf(field, chosen), meta};
        const answer = {models: source.models.map((model) => model.model), values: Object.fromEntries(values), failed: failures.map((model) => model.id)};
        // the same input hash for the same text's first occurrence in any dataset (what --exclude matches), another for each repeat
        const occurrence = occurrences.next(text);
        tasks.push({...task, ...prodigyHashes(task, {...(occurrence > 0 ? {row: occurrence} : {}), answer})} as ProdigyTask);
    }
    return {tasks, skipped, failed, textColumn: shown};
}

function questionOf(field: AnswerField, chosen: unknown): Record<string, unknown> {
    switch (field.kind) {
        case "label":
        case "rating": {
            const ids: (string | number)[] = field.kind === "label" ? (field.labels ?? []) : (field.values ?? []);
            const suggestion = chosen === undefined ? undefined : suggestionFor(field, chosen);
            return {
                options: ids.map((id) => ({id, text: String(id)})),
                accept: suggestion === undefined ? [] : [suggestion],
                config: {choice_style: "single"}
            };
        }
        case "binary":
            return {label: field.name};
        case "number":
        case "text":
            return {[PRODIGY_INPUT_KEY]: chosen === undefined || chosen === null ? "" : labelTextOf(chosen)};
    }
}
