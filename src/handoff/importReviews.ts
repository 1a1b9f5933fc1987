import fs from "node:fs/promises";
import path from "node:path";
import {InvalidOptionError} from "../AirlabelError.js";
import {displayDir} from "../output/Manifest.js";
import {majorityOf} from "./handoffRows.js";
import {fieldOf} from "./exportHandoff.js";
import type {AnswerSpec} from "./loadAnswerSpec.js";
import {specMismatchNote} from "./loadAnswerSpec.js";
import {readHandoffSource} from "./readHandoffSource.js";
import {refuseOneToMany} from "./refuseOneToMany.js";
import {REVIEWS_DIR, writeReviewSet} from "./reviewStore.js";
import type {ReviewManifest, ReviewedRow} from "./reviewStore.js";
import {argillaQuestionName} from "./toArgilla.js";
import {detectSource, type Entry, idxOf, REVIEW_SOURCES, ReviewImportError, type ReviewSource, type Verdict, verdictsOf} from "./reviewVerdicts.js";

export {REVIEW_SOURCES, ReviewImportError, type ReviewSource} from "./reviewVerdicts.js";

/** Options of `importReviews`. */
export interface ImportReviewsOptions extends AnswerSpec {
    /** The output dir (run or comparison) the reviewed data was exported from. Required (no default). */
    dir: string;
    /** The reviewed file: Prodigy `db-out` JSONL, Argilla records JSON (`dataset.records.to_json`, or JSONL of records), Label Studio's JSON export, or JSONL of `{idx, value}` (optionally `annotator`). Required (no default). */
    file: string;
    /** The file's format. Defaults to what its first record looks like (`answer`/`_task_hash`: prodigy; `annotations` + `data`: label-studio; `responses`/`fields`: argilla; else jsonl). */
    from?: ReviewSource;
    /** Name of the review set (`reviews/<name>.jsonl`); importing again under the same name replaces it. Defaults to "reviewed". */
    as?: string;
    /** Key of the annotation object that was reviewed. Defaults to the key `exportHandoff` picks (the only key, or the first holding labels, true/false or a scale). */
    field?: string;
}

/** What `importReviews` stored. */
export interface ImportReviewsResult {
    manifest: ReviewManifest;
    /** Absolute path of the stored `reviews/<name>.jsonl`. */
    stored: string;
    /** Reviewed rows with a value. */
    labelled: number;
    /** Reviewed rows without one: rejected, ignored or discarded. */
    withoutValue: number;
    /** Reviewed rows whose annotators split with no majority (`tie: true`, no value; counted in withoutValue too). */
    ties: number;
    /** Things the user should know (the schema given differs from the run's). */
    notes: string[];
}

/**
 * Read reviewed data back and store it, joined on `idx`, as the review set `reviews/<as>.jsonl` of the output dir so
 * `airlabel stats` compares the models with it. Every record must name a row of the run (Prodigy: `meta.idx`,
 * Argilla: `metadata.idx` or the record `id`, JSONL: `idx`); one that does not is a one-line error naming its line.
 * Throws `ReviewImportError`, `InvalidOptionError`, `AnswerFieldError` and the errors of reading the output dir.
 */
export async function importReviews(options: ImportReviewsOptions): Promise<ImportReviewsResult> {
    const name = options.as ?? "reviewed";
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/u.test(name))
        throw new InvalidOptionError(`--as ${JSON.stringify(name)} must be letters, digits, _ and - (it names reviews/<name>.jsonl)`);
    if (options.from !== undefined && !REVIEW_SOURCES.includes(options.from))
        throw new InvalidOptionError(`--from must be one of ${REVIEW_SOURCES.join(", ")}, got ${JSON.stringify(options.from)}`);
    const source = await readHandoffSource(options.dir, {allowIncomplete: true});
    refuseOneToMany(options.dir, source.meta, "airlabel import");
    const field = fieldOf(source, options);
    const entries = await readEntries(options.file);
    const from = options.from ?? detectSource(entries[0]?.record);
    const known = new Set(source.rows.map((row) => row.idx));
    const byIdx = new Map<number, Verdict[]>();
    for (const entry of entries) {
        const idx = idxOf(entry, from);
        if (!known.has(idx))
            throw new ReviewImportError(
                `${entry.where}: idx ${idx} is not a row of ${displayDir(options.dir)} (it has ${source.rows.length} rows); import the file into the output dir it was exported from`
            );
        for (const verdict of verdictsOf(entry, from, field)) {
            const list = byIdx.get(idx);
            if (list === undefined) byIdx.set(idx, [verdict]);
            else list.push(verdict);
        }
    }
    if (byIdx.size === 0)
        throw new ReviewImportError(
            from === "argilla"
                ? `${options.file} holds no submitted responses to the question ${argillaQuestionName(field)} (${answeredQuestions(entries)}); review in Argilla first, or pass --field with the question that was answered`
                : `${options.file} holds no reviews; pass the file the review tool exported`
        );
    const rows: ReviewedRow[] = [...byIdx.entries()].sort(([a], [b]) => a - b).map(([idx, verdicts]) => combineVerdicts(idx, verdicts));
    const labelled = rows.filter((row) => row.value !== null).length;
    const ties = rows.filter((row) => row.tie === true).length;
    const manifest = await writeReviewSet(
        options.dir,
        {
            name,
            source: path.resolve(options.file),
            from,
            field: field.name,
            kind: field.kind,
            rows: rows.length,
            labelled,
            ties,
            importedAt: new Date().toISOString()
        },
        rows
    );
    const note = specMismatchNote(options, source.schemaHash);
    return {
        manifest,
        stored: path.resolve(options.dir, REVIEWS_DIR, `${name}.jsonl`),
        labelled,
        withoutValue: rows.length - labelled,
        ties,
        notes: note === undefined ? [] : [note]
    };
}

/** The records of a JSONL file (one per line) or a JSON file holding an array (or `{records: [...]}`). */
async function readEntries(file: string): Promise<Entry[]> {
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (error) {
        throw new ReviewImportError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path`, {cause: error});
    }
    const whole = wholeJson(text);
    if (whole !== undefined) {
        const list = Array.isArray(whole) ? whole : isObject(whole) && Array.isArray(whole.records) ? whole.records : undefined;
        if (list !== undefined)
            return list.map((record: unknown, i: number) => {
                if (!isObject(record)) throw new ReviewImportError(`${file} record ${i + 1}: not a JSON object; pass the file the review tool exported`);
                return {where: `${file} record ${i + 1}`, record};
            });
    } else if (text.trimStart().startsWith("[")) {
        throw new ReviewImportError(`${file} is not valid JSON (${jsonErrorOf(text)}); pass the file the review tool exported`);
    }
    const entries: Entry[] = [];
    text.split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        let record: unknown;
        try {
            record = JSON.parse(line);
        } catch (error) {
            throw new ReviewImportError(
                `${file} line ${i + 1}: invalid JSON (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); fix the line`,
                {cause: error}
            );
        }
        if (record === null || typeof record !== "object" || Array.isArray(record))
            throw new ReviewImportError(`${file} line ${i + 1}: not a JSON object; each line must be one reviewed record`);
        entries.push({where: `${file} line ${i + 1}`, record: record as Record<string, unknown>});
    });
    if (entries.length === 0) throw new ReviewImportError(`${file} holds no records; pass the file the review tool exported`);
    return entries;
}

/** The questions the Argilla records have responses to, for the message of an import that found none. */
function answeredQuestions(entries: readonly Entry[]): string {
    const names = new Set<string>();
    for (const {record} of entries) {
        if (isObject(record.responses))
            for (const [name, list] of Object.entries(record.responses)) if (Array.isArray(list) && list.length > 0) names.add(name);
        for (const key of Object.keys(record)) if (key.endsWith(".responses")) names.add(key.slice(0, -".responses".length));
    }
    return names.size === 0 ? "no record has responses" : `the records answer ${[...names].sort().join(", ")}`;
}

/** The whole text parsed as one JSON value, or undefined when it is not one (JSONL of several lines). */
function wholeJson(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return undefined;
    }
}

function jsonErrorOf(text: string): string {
    try {
        JSON.parse(text);
        return "no error";
    } catch (error) {
        return error instanceof Error ? error.message.split("\n")[0]! : String(error);
    }
}

/**
 * One row's verdicts as one reviewed row: each named annotator's last verdict counts once (unnamed ones each), the
 * value most of those with a value gave is the row's; when two values tie for the most, the row is a tie (value
 * null, decision "tie"), never one annotator's value picked. Each named annotator's value is kept in `values`.
 */
export function combineVerdicts(idx: number, verdicts: readonly Verdict[]): ReviewedRow {
    const byAnnotator = new Map<string, Verdict>();
    const unnamed: Verdict[] = [];
    for (const verdict of verdicts) {
        if (verdict.annotator === undefined) unnamed.push(verdict);
        else byAnnotator.set(verdict.annotator, verdict);
    }
    const counted = [...byAnnotator.values(), ...unnamed];
    const named =
        byAnnotator.size === 0
            ? {}
            : {annotators: [...byAnnotator.keys()], values: Object.fromEntries([...byAnnotator].map(([annotator, verdict]) => [annotator, verdict.value]))};
    const withValue = counted.filter((verdict) => verdict.value !== null);
    // the majority rule of the models' suggestions (handoffRows.majorityOf), keyed by each verdict's position
    const majority = majorityOf(new Map(withValue.map((verdict, i) => [String(i), verdict.value])));
    if (withValue.length > 0 && majority === undefined) return {idx, value: null, decision: "tie", reviews: verdicts.length, ...named, tie: true};
    const chosen: Verdict = majority === undefined ? counted[0]! : withValue[Number(majority.modelIds[0])]!;
    return {idx, value: chosen.value, decision: chosen.decision, reviews: verdicts.length, ...named};
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
