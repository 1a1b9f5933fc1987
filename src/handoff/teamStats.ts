import type {RatingPair} from "./agreement.js";
import {sameValue} from "./agreement.js";
import {type ConfusionMatrix, confusionMatrix} from "./confusionMatrix.js";
import {type FleissKappa, fleissKappa} from "./fleissKappa.js";
import {type KrippendorffAlpha, krippendorffAlpha} from "./krippendorffAlpha.js";
import {type PairStats, pairStatsOf} from "./pairStats.js";
import type {AnswerField} from "./resolveAnswerField.js";
import type {ReviewedRow} from "./reviewStore.js";

/** One annotator of a review set. */
export interface AnnotatorStats {
    id: string;
    /** Rows the annotator reviewed. */
    rows: number;
    /** Of those, rows the annotator gave a value (the rest were rejected, ignored or discarded). */
    labelled: number;
}

/** Agreement between the human annotators of one review set (rows that record each annotator's value). */
export interface TeamStats {
    /** The annotators, by id. */
    annotators: AnnotatorStats[];
    /** Rows recording each annotator's value. */
    rows: number;
    /** Of those, rows where two annotators or more gave a value (the rows agreement is measured on). */
    overlap: number;
    /** Rows where the annotators gave different values. */
    disagreements: number;
    /** Rows the import flagged as a tie (the annotators split with no majority). */
    ties: number;
    /** Every pair of annotators on the rows both gave a value: agreement, Cohen's kappa, MAD; a confusion matrix for labels and true/false. */
    pairs: (PairStats & {confusion?: ConfusionMatrix})[];
    /** Fleiss' kappa over all annotators (labels, true/false, scales taken as nominal). */
    fleiss?: FleissKappa;
    /** Krippendorff's alpha over all annotators: nominal for labels, true/false and text, interval for scales and numbers. */
    alpha: KrippendorffAlpha;
}

/**
 * Agreement between the annotators of a review set, from each row's `values` (annotator id → value; null for a
 * rejection, which counts as no value). `normalize` maps a value to the form compared (labels as text). Returns
 * null when no row records its annotators' values.
 */
export function teamStats(rows: readonly ReviewedRow[], field: AnswerField, normalize: (value: unknown) => unknown): TeamStats | null {
    const perRow = rows.filter((row) => row.values !== undefined && Object.keys(row.values).length > 0);
    if (perRow.length === 0) return null;
    const ids = [...new Set(perRow.flatMap((row) => Object.keys(row.values!)))].sort();
    const given = new Map<string, Map<number, unknown>>(ids.map((id) => [id, new Map()]));
    const annotators = ids.map((id) => {
        const own = perRow.filter((row) => Object.hasOwn(row.values!, id));
        for (const row of own) if (row.values![id] !== null && row.values![id] !== undefined) given.get(id)!.set(row.idx, normalize(row.values![id]));
        return {id, rows: own.length, labelled: given.get(id)!.size};
    });
    const units = perRow.map((row) => ids.filter((id) => given.get(id)!.has(row.idx)).map((id) => given.get(id)!.get(row.idx)));
    const withLabels = field.kind === "label" || field.kind === "binary";

    const pairs: TeamStats["pairs"] = [];
    for (let i = 0; i < ids.length; i++)
        for (let j = i + 1; j < ids.length; j++) {
            const a = ids[i]!;
            const b = ids[j]!;
            const matched: RatingPair[] = [];
            for (const [idx, value] of given.get(a)!) if (given.get(b)!.has(idx)) matched.push([value, given.get(b)!.get(idx)]);
            pairs.push({
                ...pairStatsOf(a, b, matched, field.kind),
                ...(withLabels ? {confusion: confusionMatrix(a, b, matched, field.labels)} : {})
            });
        }

    const categorical = withLabels || field.kind === "rating";
    return {
        annotators,
        rows: perRow.length,
        overlap: units.filter((unit) => unit.length >= 2).length,
        disagreements: units.filter((unit) => unit.some((value) => !sameValue(value, unit[0]))).length,
        ties: perRow.filter((row) => row.tie === true).length,
        pairs,
        ...(categorical ? {fleiss: fleissKappa(units)} : {}),
        alpha: krippendorffAlpha(units, field.kind === "rating" || field.kind === "number" ? "interval" : "nominal")
    };
}
