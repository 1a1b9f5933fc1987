import {sameValue} from "./agreement.js";
import type {ReviewedRow} from "./reviewStore.js";

/** A reviewed row to settle: its annotators disagree or tie, or a model's answer differs from the reviewed value. */
export interface Disagreement {
    idx: number;
    /** The reviewed value (null for a tie, or when the reviewers gave none). */
    value: unknown;
    /** The import flagged a tie: the annotators split with no majority. */
    tie: boolean;
    /** The annotators gave different values. */
    annotatorsDisagree: boolean;
    /** The models whose answer differs from the reviewed value. */
    modelsDisagree: string[];
    /** Each annotator's value (null: rejected), when the review set records them. */
    values?: Record<string, unknown>;
    /** Each model's answer (null: failed, or the answer lacks the field), by model id. */
    answers: Record<string, unknown>;
}

/**
 * The rows of a review set to settle, in idx order: those whose annotators disagree or tie, and those where a model's
 * answer differs from the reviewed value (rows without a reviewed value only count for their annotators). `answers`
 * holds each model's answers by idx, and `normalize` maps a reviewed value to the form compared (labels as text).
 */
export function listDisagreements(
    rows: readonly ReviewedRow[],
    answers: ReadonlyMap<string, ReadonlyMap<number, unknown>>,
    normalize: (value: unknown) => unknown
): Disagreement[] {
    const found: Disagreement[] = [];
    for (const row of [...rows].sort((x, y) => x.idx - y.idx)) {
        const value = row.value === null || row.value === undefined ? null : normalize(row.value);
        const given = Object.values(row.values ?? {})
            .filter((one) => one !== null && one !== undefined)
            .map(normalize);
        const annotatorsDisagree = given.some((one) => !sameValue(one, given[0]));
        const modelsDisagree =
            value === null ? [] : [...answers].filter(([, own]) => own.has(row.idx) && !sameValue(own.get(row.idx), value)).map(([id]) => id);
        const tie = row.tie === true;
        if (!tie && !annotatorsDisagree && modelsDisagree.length === 0) continue;
        found.push({
            idx: row.idx,
            value,
            tie,
            annotatorsDisagree,
            modelsDisagree,
            ...(row.values !== undefined
                ? {values: Object.fromEntries(Object.entries(row.values).map(([id, one]) => [id, one === null || one === undefined ? null : normalize(one)]))}
                : {}),
            answers: Object.fromEntries([...answers].map(([id, own]) => [id, own.get(row.idx) ?? null]))
        });
    }
    return found;
}
