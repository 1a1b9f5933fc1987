import {canonicalJson} from "../canonicalJson.js";
import type {HandoffRow, HandoffSource} from "../handoff/readHandoffSource.js";
import {latestReviews, type ReviewEntry} from "../handoff/ReviewLog.js";
import {rowConfidence} from "../handoff/rowConfidence.js";

/** Why a row comes where it does in the queue. */
export type TaskPriority = "failed" | "models disagree" | "annotators disagree" | "in order";

/**
 * The order of the queue: "priority" (failed rows, then rows the models or the annotators disagree on, then the rest,
 * the least confident first where the run recorded confidence), "confidence" (the least confident first, failed rows
 * and rows without a confidence before all others) or "idx" (input order; annotators' disagreements still first).
 */
export type ReviewOrder = "priority" | "confidence" | "idx";

export const REVIEW_ORDERS: readonly ReviewOrder[] = ["priority", "confidence", "idx"];

/** One task as an annotator gets it. */
export type ReviewTask = {
    idx: number;
    priority: TaskPriority;
    /** The lowest confidence of the models' answers, where the run recorded one. */
    confidence?: number;
    columns: Record<string, unknown>;
    /** Each model's answer (or failure), by model id. */
    responses: HandoffRow["responses"];
    /** The answer the form starts from: the majority of the models that answered, else null. */
    prefill: {model: string | null; value: unknown};
};

/** How far each annotator got, and the run as a whole. */
export type ReviewProgress = {rows: number; overlap: number; reviewsNeeded: number; reviewsDone: number; byAnnotator: Record<string, number>};

/**
 * Which row each annotator reviews next. Every row goes to `overlap` annotators; an annotator never gets a row twice.
 * Rows that most need a person come first: rows a model failed, then rows the models disagree on, then rows the
 * annotators so far disagree on, then the rest in idx order.
 */
export class ReviewQueue {
    readonly #source: HandoffSource;
    readonly #overlap: number;
    readonly #order: HandoffRow[];
    readonly #priority = new Map<number, TaskPriority>();

    readonly #confidence = new Map<number, number>();

    public constructor(source: HandoffSource, overlap: number, order: ReviewOrder = "priority") {
        this.#source = source;
        this.#overlap = overlap;
        for (const row of source.rows) {
            this.#priority.set(row.idx, order === "priority" ? staticPriority(row, source) : "in order");
            const confidence = rowConfidence(row);
            if (confidence !== undefined) this.#confidence.set(row.idx, confidence);
        }
        const rank: Record<TaskPriority, number> = {failed: 0, "models disagree": 1, "annotators disagree": 2, "in order": 3};
        // failed rows and rows without a confidence count as the least confident
        const confidenceOf = (row: HandoffRow) => (order === "idx" ? 0 : (this.#confidence.get(row.idx) ?? -1));
        this.#order = [...source.rows].sort(
            (a, b) => rank[this.#priority.get(a.idx)!] - rank[this.#priority.get(b.idx)!] || confidenceOf(a) - confidenceOf(b) || a.idx - b.idx
        );
    }

    /** The next task for `annotator` given the reviews so far, or null when it has none left. */
    public next(annotator: string, entries: readonly ReviewEntry[]): ReviewTask | null {
        const latest = latestReviews(entries, this.#source.rows);
        const mine = new Set(latest.filter((entry) => entry.annotator === annotator).map((entry) => entry.idx));
        const reviewers = new Map<number, ReviewEntry[]>();
        for (const entry of latest) if (entry.action !== "skip") reviewers.set(entry.idx, [...(reviewers.get(entry.idx) ?? []), entry]);
        const open = this.#order.filter((row) => !mine.has(row.idx) && (reviewers.get(row.idx)?.length ?? 0) < this.#overlap);
        // rows the annotators so far disagree on come before rows still in order
        const disputed = (row: HandoffRow) => this.#priority.get(row.idx) === "in order" && annotatorsDisagree(reviewers.get(row.idx) ?? []);
        const row = open.find((candidate) => this.#priority.get(candidate.idx) !== "in order" || disputed(candidate)) ?? open[0];
        if (row === undefined) return null;
        const priority = disputed(row) ? "annotators disagree" : this.#priority.get(row.idx)!;
        const confidence = this.#confidence.get(row.idx);
        return {
            idx: row.idx,
            priority,
            ...(confidence !== undefined ? {confidence} : {}),
            columns: row.columns,
            responses: row.responses,
            prefill: prefillOf(row, this.#source)
        };
    }

    /** Reviews done (not skips) per annotator, against the rows times the overlap. */
    public progress(entries: readonly ReviewEntry[]): ReviewProgress {
        const byAnnotator: Record<string, number> = {};
        const perRow = new Map<number, number>();
        for (const entry of latestReviews(entries, this.#source.rows)) {
            if (entry.action === "skip") continue;
            byAnnotator[entry.annotator] = (byAnnotator[entry.annotator] ?? 0) + 1;
            perRow.set(entry.idx, (perRow.get(entry.idx) ?? 0) + 1);
        }
        let reviewsDone = 0;
        for (const count of perRow.values()) reviewsDone += Math.min(count, this.#overlap);
        const rows = this.#source.rows.length;
        return {rows, overlap: this.#overlap, reviewsNeeded: rows * this.#overlap, reviewsDone, byAnnotator};
    }
}

function staticPriority(row: HandoffRow, source: HandoffSource): TaskPriority {
    const responses = source.models.map((model) => row.responses[model.id]).filter((response) => response !== undefined);
    if (responses.some((response) => !response.ok)) return "failed";
    const answers = new Set(responses.map((response) => canonicalJson(response.annotation)));
    return answers.size > 1 ? "models disagree" : "in order";
}

function annotatorsDisagree(entries: readonly ReviewEntry[]): boolean {
    return new Set(entries.map((entry) => `${entry.action}:${canonicalJson(entry.value ?? null)}`)).size > 1;
}

/** The answer most models gave (the first model's on a tie), or null when none answered. */
function prefillOf(row: HandoffRow, source: HandoffSource): ReviewTask["prefill"] {
    const counts = new Map<string, {model: string; value: unknown; count: number}>();
    for (const model of source.models) {
        const response = row.responses[model.id];
        if (response === undefined || !response.ok) continue;
        const key = canonicalJson(response.annotation);
        const group = counts.get(key);
        if (group === undefined) counts.set(key, {model: model.id, value: response.annotation, count: 1});
        else group.count++;
    }
    let best: {model: string; value: unknown; count: number} | undefined;
    for (const group of counts.values()) if (best === undefined || group.count > best.count) best = group;
    return best === undefined ? {model: null, value: null} : {model: best.model, value: best.value};
}
