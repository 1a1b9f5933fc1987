import type {RatingPair} from "./agreement.js";
import {canonicalJson} from "../canonicalJson.js";

/** Counts of each (first rater's label, second rater's label) pair. */
export interface ConfusionMatrix {
    /** Who gave the labels of the rows (a model or an annotator). */
    rows: string;
    /** Who gave the labels of the columns (the review set, or the second annotator). */
    columns: string;
    /** The labels, rows and columns alike: the field's labels in schema order, then any other label given, sorted. */
    labels: string[];
    /** `counts[rowLabel][columnLabel]`: items labelled rowLabel by the first rater and columnLabel by the second (zeros included). */
    counts: Record<string, Record<string, number>>;
}

/**
 * The confusion matrix of two raters over the items both labelled: `pairs` holds (first rater's label, second
 * rater's label) for each item. Labels are written as text (strings as they are, other values as their JSON).
 */
export function confusionMatrix(rows: string, columns: string, pairs: readonly RatingPair[], labels: readonly string[] = []): ConfusionMatrix {
    const seen = new Set<string>();
    const keyed = pairs.map(([a, b]) => [labelKey(a), labelKey(b)] as const);
    for (const [a, b] of keyed) seen.add(a).add(b);
    const extra = [...seen].filter((label) => !labels.includes(label)).sort();
    const all = [...labels, ...extra];
    const counts: Record<string, Record<string, number>> = {};
    for (const row of all) counts[row] = Object.fromEntries(all.map((column) => [column, 0]));
    for (const [a, b] of keyed) counts[a]![b]!++;
    return {rows, columns, labels: all, counts};
}

function labelKey(value: unknown): string {
    return typeof value === "string" ? value : canonicalJson(value);
}
