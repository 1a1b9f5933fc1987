import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError, InvalidOptionError} from "../AirlabelError.js";
import {displayDir} from "../output/Manifest.js";
import {majorityOf} from "./handoffRows.js";
import {fieldOf} from "./exportHandoff.js";
import type {AnswerSpec} from "./loadAnswerSpec.js";
import {specMismatchNote} from "./loadAnswerSpec.js";
import {readHandoffSource} from "./readHandoffSource.js";
import type {AnswerField} from "./resolveAnswerField.js";
import {REVIEWS_DIR, writeReviewSet} from "./reviewStore.js";
import type {ReviewManifest, ReviewedRow} from "./reviewStore.js";
import {argillaQuestionName} from "./toArgilla.js";
import {PRODIGY_INPUT_KEY} from "./toProdigy.js";

/** A reviewed file cannot be read, a record in it cannot be joined to a row (no idx, unknown idx), or holds no usable answer. */
export class ReviewImportError extends AirlabelError {}

/** Where reviewed data comes from. */
export type ReviewSource = "prodigy" | "argilla" | "jsonl";
export const REVIEW_SOURCES: readonly ReviewSource[] = ["prodigy", "argilla", "jsonl"];

/** Options of `importReviews`. */
export interface ImportReviewsOptions extends AnswerSpec {
    /** The output dir (run or comparison) the reviewed data was exported from. Required (no default). */
    dir: string;
    /** The reviewed file: Prodigy `db-out` JSONL, Argilla records JSON (`dataset.records.to_json`, or JSONL of records), or JSONL of `{idx, value}`. Required (no default). */
    file: string;
    /** The file's format. Defaults to what its first record looks like (`answer`/`_task_hash`: prodigy; `responses`/`fields`: argilla; else jsonl). */
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
    /** Things the user should know (the schema given differs from the run's). */
    notes: string[];
}

type Entry = {where: string; record: Record<string, unknown>};
type Verdict = {value: unknown; decision: string; annotator?: string};

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
    const rows: ReviewedRow[] = [...byIdx.entries()].sort(([a], [b]) => a - b).map(([idx, verdicts]) => combine(idx, verdicts));
    const labelled = rows.filter((row) => row.value !== null).length;
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

function detectSource(record: Record<string, unknown> | undefined): ReviewSource {
    if (record === undefined) return "jsonl";
    if ("_task_hash" in record || "_input_hash" in record || ["accept", "reject", "ignore"].includes(record.answer as string)) return "prodigy";
    if ("responses" in record || ("fields" in record && ("metadata" in record || "suggestions" in record))) return "argilla";
    return "jsonl";
}

function idxOf(entry: Entry, from: ReviewSource): number {
    const {record} = entry;
    const meta = from === "prodigy" ? record.meta : from === "argilla" ? record.metadata : undefined;
    const candidates =
        from === "jsonl"
            ? [record.idx]
            : from === "prodigy"
              ? [isObject(meta) ? meta.idx : undefined]
              : [isObject(meta) ? meta.idx : undefined, record.idx, record.id, record.external_id];
    for (const candidate of candidates) {
        const idx = typeof candidate === "string" && /^\d+$/u.test(candidate) ? Number(candidate) : candidate;
        if (typeof idx === "number" && Number.isSafeInteger(idx) && idx >= 0) return idx;
    }
    const looked = from === "jsonl" ? "idx" : from === "prodigy" ? "meta.idx" : "metadata.idx, idx, id and external_id";
    throw new ReviewImportError(`${entry.where}: no idx (looked in ${looked}); records exported by \`airlabel export\` carry it, keep it when editing`);
}

function verdictsOf(entry: Entry, from: ReviewSource, field: AnswerField): Verdict[] {
    const {record} = entry;
    if (from === "prodigy") {
        const answer = record.answer;
        const annotator =
            typeof record._annotator_id === "string" ? record._annotator_id : typeof record._session_id === "string" ? record._session_id : undefined;
        const withAnnotator = (verdict: Verdict): Verdict[] => [annotator === undefined ? verdict : {...verdict, annotator}];
        if (answer !== "accept" && answer !== "reject" && answer !== "ignore")
            throw new ReviewImportError(`${entry.where}: no answer (accept, reject or ignore); pass the output of \`prodigy db-out\``);
        if (answer === "ignore") return withAnnotator({value: null, decision: "ignore"});
        if (Array.isArray(record.options)) {
            const accepted = Array.isArray(record.accept) ? record.accept : [];
            if (answer === "reject" || accepted.length === 0) return withAnnotator({value: null, decision: answer});
            return withAnnotator({value: typed(accepted[0], field, entry), decision: "accept"});
        }
        if (PRODIGY_INPUT_KEY in record) {
            if (answer === "reject") return withAnnotator({value: null, decision: "reject"});
            return withAnnotator({value: typed(record[PRODIGY_INPUT_KEY], field, entry), decision: "accept"});
        }
        if (typeof record.label === "string") {
            if (field.kind === "binary") return withAnnotator({value: answer === "accept", decision: answer});
            return withAnnotator({value: answer === "accept" ? typed(record.label, field, entry) : null, decision: answer});
        }
        throw new ReviewImportError(
            `${entry.where}: not a task this field can be read from (no options, user_input or label); pass the file \`prodigy db-out\` wrote for the tasks airlabel exported`
        );
    }
    if (from === "argilla") {
        const question = argillaQuestionName(field);
        const nested = isObject(record.responses) ? record.responses[question] : undefined;
        const flat = record[`${question}.responses`];
        // Argilla 1.x FeedbackDataset records: responses: [{user_id, status, values: {question: {value}}}]
        const v1 = Array.isArray(record.responses)
            ? record.responses.filter(isObject).flatMap((response) => {
                  const values = isObject(response.values) ? response.values[question] : undefined;
                  return isObject(values)
                      ? [{value: values.value, status: response.status, user_id: response.user_id}]
                      : response.status === "discarded"
                        ? [{value: null, status: "discarded", user_id: response.user_id}]
                        : [];
              })
            : undefined;
        const responses: unknown[] =
            v1 !== undefined
                ? v1
                : Array.isArray(nested)
                  ? nested
                  : Array.isArray(flat)
                    ? flat.map((value, i) => ({
                          value,
                          status: (record[`${question}.responses.status`] as unknown[] | undefined)?.[i],
                          user_id: (record[`${question}.responses.users`] as unknown[] | undefined)?.[i]
                      }))
                    : [];
        const verdicts: Verdict[] = [];
        for (const response of responses) {
            if (!isObject(response)) continue;
            const status = typeof response.status === "string" ? response.status : "submitted";
            if (status === "draft") continue;
            const annotator = typeof response.user_id === "string" ? response.user_id : undefined;
            const verdict: Verdict =
                status === "discarded" ? {value: null, decision: "discarded"} : {value: typed(response.value, field, entry), decision: "submitted"};
            verdicts.push(annotator === undefined ? verdict : {...verdict, annotator});
        }
        return verdicts;
    }
    const value =
        "value" in record
            ? record.value
            : field.name in record
              ? record[field.name]
              : "annotation" in record
                ? field.key !== null && isObject(record.annotation)
                    ? record.annotation[field.key]
                    : record.annotation
                : undefined;
    if (value === undefined)
        throw new ReviewImportError(`${entry.where}: no reviewed value (looked in value, ${field.name} and annotation); add one of those keys`);
    return [{value: value === null ? null : typed(value, field, entry), decision: value === null ? "unlabelled" : "labelled"}];
}

/** A reviewed value as the field's type: labels as text, true/false as booleans, scales and numbers as numbers. */
function typed(value: unknown, field: AnswerField, entry: Entry): unknown {
    switch (field.kind) {
        case "binary":
            if (typeof value === "boolean") return value;
            if (value === "true" || value === "false") return value === "true";
            throw new ReviewImportError(`${entry.where}: ${JSON.stringify(value)} is not true or false, the answers of ${field.name}; fix the record`);
        case "rating":
        case "number": {
            const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
            if (!Number.isFinite(number))
                throw new ReviewImportError(`${entry.where}: ${JSON.stringify(value)} is not a number, the answers of ${field.name}; fix the record`);
            return number;
        }
        case "label":
            return typeof value === "string" ? value : JSON.stringify(value);
        case "text":
            return value;
    }
}

/** One row's verdicts (several annotators) as one reviewed row: the majority value among those with a value. */
function combine(idx: number, verdicts: readonly Verdict[]): ReviewedRow {
    const annotators = [...new Set(verdicts.flatMap((verdict) => (verdict.annotator === undefined ? [] : [verdict.annotator])))];
    const withValue = verdicts.filter((verdict) => verdict.value !== null);
    // the majority rule of the models' suggestions (handoffRows.majorityOf), keyed by each verdict's position
    const majority = majorityOf(new Map(withValue.map((verdict, i) => [String(i), verdict.value])));
    const chosen: Verdict = majority === undefined ? verdicts[0]! : withValue[Number(majority.modelIds[0])]!;
    return {idx, value: chosen.value, decision: chosen.decision, reviews: verdicts.length, ...(annotators.length > 0 ? {annotators} : {})};
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
