import {majorityOf} from "./handoffRows.js";
import {REVIEW_LOG_FILE, latestReviews, readReviewLog} from "./ReviewLog.js";
import type {AnswerField} from "./resolveAnswerField.js";
import {answerValueOf} from "./resolveAnswerField.js";
import type {ReviewSet, ReviewedRow} from "./reviewStore.js";
import type {HandoffRow} from "./readHandoffSource.js";

/** The name the reviews of `airlabel review` go by in `stats`. */
export const REVIEW_APP_SET = "review";

/**
 * The reviews of `airlabel review` in the output dir `dir` as a review set of `field` (null when there are none):
 * each annotator's latest review of a row, skips left out; an accepted or corrected answer's value of the field, a
 * rejection as no value; reviews of rows that changed since are left out (see latestReviews). A row's value is the annotators' majority; an even split is a tie (no value).
 */
export async function reviewSetFromLog(dir: string, field: AnswerField, runRows: readonly HandoffRow[]): Promise<ReviewSet | null> {
    const entries = latestReviews(await readReviewLog(dir), runRows).filter((entry) => entry.action !== "skip");
    if (entries.length === 0) return null;
    const byRow = new Map<number, Record<string, unknown>>();
    for (const entry of entries) {
        const value = entry.action === "reject" ? null : (answerValueOf(entry.value, field) ?? null);
        byRow.set(entry.idx, {...byRow.get(entry.idx), [entry.annotator]: value});
    }
    const rows: ReviewedRow[] = [...byRow.entries()]
        .sort(([a], [b]) => a - b)
        .map(([idx, values]) => {
            const majority = majorityOf(new Map(Object.entries(values)));
            const tie = majority === undefined;
            const value = majority?.value ?? null;
            return {
                idx,
                value,
                decision: tie ? "tie" : value === null ? "reject" : "accept",
                reviews: Object.keys(values).length,
                annotators: Object.keys(values),
                values,
                ...(tie ? {tie: true} : {})
            };
        });
    return {
        manifest: {
            format: "airlabel-reviews",
            version: 1,
            name: REVIEW_APP_SET,
            source: REVIEW_LOG_FILE,
            from: "jsonl",
            field: field.name,
            kind: field.kind,
            rows: rows.length,
            labelled: rows.filter((row) => row.value !== null).length,
            sha256: "",
            importedAt: entries.at(-1)!.at
        },
        rows
    };
}
