import fs from "node:fs/promises";
import path from "node:path";
import {majorityOf} from "./handoffRows.js";
import {writeFileDurable} from "../files/durableFs.js";
import {readHandoffSource} from "./readHandoffSource.js";
import {refuseOneToMany} from "./refuseOneToMany.js";
import {latestReviews, readReviewLog, type ReviewEntry} from "./ReviewLog.js";

/** Options of `exportGold` (`airlabel export OUT --to gold`). */
export interface ExportGoldOptions {
    /** Output dir of a run, a comparison or a job step, reviewed with `airlabel review`. Required (no default). */
    dir: string;
    /** The JSONL file to write. Defaults to `<dir>/export/gold.jsonl`. */
    out?: string;
}

/** What `exportGold` wrote. */
export interface ExportGoldResult {
    file: string;
    rows: number;
    /** Rows whose gold answer the reviewers gave (accepted or corrected), those still the model's, and those rejected or tied. */
    reviewed: number;
    fromModel: number;
    rejected: number;
    ties: number;
}

/** One reviewer's say on a row, as the gold file keeps it. */
type Provenance = {annotator: string; action: ReviewEntry["action"]; value: unknown; model: string | null; at: string; comment?: string};

/**
 * The gold dataset: every row of the run with the reviewed answer merged over the model answers, one JSON line per
 * row in idx order: `idx`, the input columns, `gold` (the answer the reviewers accepted or corrected: the majority
 * of their answers; null when they rejected it or split with no majority, `tie` then true), `gold_source` ("review",
 * "model" for a row no reviewer answered, "rejected", "tie"), `model_answers` (each model's answer or null) and
 * `reviews` (each reviewer's action, answer, model and time). Skips count as no review. Written atomically.
 */
export async function exportGold(options: ExportGoldOptions): Promise<ExportGoldResult> {
    const source = await readHandoffSource(options.dir, {allowIncomplete: true});
    refuseOneToMany(options.dir, source.meta, "the gold export");
    const reviews = new Map<number, ReviewEntry[]>();
    for (const entry of latestReviews(await readReviewLog(options.dir), source.rows)) {
        if (entry.action === "skip") continue;
        reviews.set(entry.idx, [...(reviews.get(entry.idx) ?? []), entry]);
    }
    const counts = {reviewed: 0, fromModel: 0, rejected: 0, ties: 0};
    const lines: string[] = [];
    for (const row of source.rows) {
        const modelAnswers = Object.fromEntries(
            source.models.map((model) => [model.id, row.responses[model.id]?.ok === true ? row.responses[model.id]!.annotation : null])
        );
        const own = reviews.get(row.idx) ?? [];
        const verdict = verdictOf(own, modelAnswers);
        if (verdict.source === "review") counts.reviewed++;
        else if (verdict.source === "model") counts.fromModel++;
        else if (verdict.source === "rejected") counts.rejected++;
        else counts.ties++;
        const provenance: Provenance[] = own.map((entry) => ({
            annotator: entry.annotator,
            action: entry.action,
            value: entry.value,
            model: entry.model,
            at: entry.at,
            ...(entry.comment !== "" ? {comment: entry.comment} : {})
        }));
        lines.push(
            `${JSON.stringify({idx: row.idx, ...row.columns, gold: verdict.gold, gold_source: verdict.source, ...(verdict.source === "tie" ? {tie: true} : {}), model_answers: modelAnswers, reviews: provenance})}\n`
        );
    }
    const file = path.resolve(options.out ?? path.join(options.dir, "export", "gold.jsonl"));
    await fs.mkdir(path.dirname(file), {recursive: true});
    await writeFileDurable(file, lines.join(""));
    return {file, rows: lines.length, ...counts};
}

/** The gold answer of a row from its reviews: the majority answer of those who accepted or corrected it. */
function verdictOf(reviews: readonly ReviewEntry[], modelAnswers: Record<string, unknown>): {gold: unknown; source: "review" | "model" | "rejected" | "tie"} {
    if (reviews.length === 0) {
        const answers = Object.values(modelAnswers).filter((answer) => answer !== null);
        return {gold: answers[0] ?? null, source: "model"};
    }
    // a rejection is a vote for "no answer"
    const majority = majorityOf(new Map(reviews.map((review) => [review.annotator, review.action === "reject" ? null : review.value])));
    if (majority === undefined) return {gold: null, source: "tie"};
    return majority.value === null ? {gold: null, source: "rejected"} : {gold: majority.value, source: "review"};
}
