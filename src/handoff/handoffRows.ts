import type {AnswerField} from "./resolveAnswerField.js";
import {answerValueOf, labelTextOf} from "./resolveAnswerField.js";
import type {HandoffRow, HandoffSource} from "./readHandoffSource.js";
import {canonicalJson} from "../canonicalJson.js";

/** Shared helpers of the Argilla and Prodigy builders. */

/** Each model's reviewed value for a row (models that failed it, or whose answer lacks the field, left out). */
export function modelValues(row: HandoffRow, source: HandoffSource, field: AnswerField): Map<string, unknown> {
    const values = new Map<string, unknown>();
    for (const model of source.models) {
        const response = row.responses[model.id];
        if (response === undefined || !response.ok) continue;
        const value = answerValueOf(response.annotation, field);
        if (value !== undefined && value !== null) values.set(model.id, value);
    }
    return values;
}

/**
 * The value most models (or annotators) gave, with the ids that gave it; undefined when none gave a value or when
 * two values tie for the most (a split is never settled by order: the caller flags it).
 */
export function majorityOf(values: ReadonlyMap<string, unknown>): {value: unknown; modelIds: string[]} | undefined {
    const groups = new Map<string, {value: unknown; modelIds: string[]}>();
    for (const [id, value] of values) {
        const key = canonicalJson(value);
        const group = groups.get(key);
        if (group === undefined) groups.set(key, {value, modelIds: [id]});
        else group.modelIds.push(id);
    }
    const sorted = [...groups.values()].sort((a, b) => b.modelIds.length - a.modelIds.length);
    if (sorted.length === 0 || (sorted.length > 1 && sorted[0]!.modelIds.length === sorted[1]!.modelIds.length)) return undefined;
    return sorted[0];
}

/** Whether the values split with no single most-given value (two or more values tie for the most). */
export function isTie(values: ReadonlyMap<string, unknown>): boolean {
    return values.size > 0 && majorityOf(values) === undefined;
}

/** The input columns holding text, in first-seen order (the fields a person reads). */
export function textColumnsOf(source: HandoffSource): string[] {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const row of source.rows)
        for (const [name, value] of Object.entries(row.columns))
            if (typeof value === "string" && !seen.has(name)) {
                seen.add(name);
                names.push(name);
            }
    return names;
}

/** Whether `value` is a label of `field` (labels are compared as text; binary answers as `true`/`false`). */
export function suggestionFor(field: AnswerField, value: unknown): string | number | undefined {
    switch (field.kind) {
        case "label": {
            const text = labelTextOf(value);
            return field.labels?.includes(text) === true ? text : undefined;
        }
        case "binary":
            return typeof value === "boolean" ? String(value) : undefined;
        case "rating":
            return typeof value === "number" && field.values?.includes(value) === true ? value : undefined;
        case "number":
            return typeof value === "number" ? String(value) : undefined;
        case "text":
            return labelTextOf(value);
    }
}
