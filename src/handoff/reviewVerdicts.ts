import {AirlabelError} from "../AirlabelError.js";
import type {AnswerField} from "./resolveAnswerField.js";
import {argillaQuestionName} from "./toArgilla.js";
import {labelStudioControlName} from "./toLabelStudio.js";
import {PRODIGY_INPUT_KEY} from "./toProdigy.js";

/** A reviewed file cannot be read, a record in it cannot be joined to a row (no idx, unknown idx), or holds no usable answer. */
export class ReviewImportError extends AirlabelError {}

/** Where reviewed data comes from. */
export type ReviewSource = "prodigy" | "argilla" | "label-studio" | "jsonl";
export const REVIEW_SOURCES: readonly ReviewSource[] = ["prodigy", "argilla", "label-studio", "jsonl"];

/** One record of a reviewed file, with where it is (`FILE line 3`, `FILE record 2`) for messages. */
export type Entry = {where: string; record: Record<string, unknown>};

/** One annotator's verdict on one row: the value given (null: rejected, ignored, discarded, cancelled), what they did, and who. */
export type Verdict = {value: unknown; decision: string; annotator?: string};

/** The tool that wrote a record, told from its keys. */
export function detectSource(record: Record<string, unknown> | undefined): ReviewSource {
    if (record === undefined) return "jsonl";
    if ("_task_hash" in record || "_input_hash" in record || ["accept", "reject", "ignore"].includes(record.answer as string)) return "prodigy";
    if (Array.isArray(record.annotations) && isObject(record.data)) return "label-studio";
    if ("responses" in record || ("fields" in record && ("metadata" in record || "suggestions" in record))) return "argilla";
    return "jsonl";
}

/** The row (idx) a record reviews. Throws `ReviewImportError` naming the record when it has none. */
export function idxOf(entry: Entry, from: ReviewSource): number {
    const {record} = entry;
    const meta = from === "prodigy" ? record.meta : from === "argilla" ? record.metadata : from === "label-studio" ? record.data : undefined;
    const candidates =
        from === "jsonl"
            ? [record.idx]
            : from === "prodigy" || from === "label-studio"
              ? [isObject(meta) ? meta.idx : undefined]
              : [isObject(meta) ? meta.idx : undefined, record.idx, record.id, record.external_id];
    for (const candidate of candidates) {
        const idx = typeof candidate === "string" && /^\d+$/u.test(candidate) ? Number(candidate) : candidate;
        if (typeof idx === "number" && Number.isSafeInteger(idx) && idx >= 0) return idx;
    }
    const looked = from === "jsonl" ? "idx" : from === "prodigy" ? "meta.idx" : from === "label-studio" ? "data.idx" : "metadata.idx, idx, id and external_id";
    throw new ReviewImportError(`${entry.where}: no idx (looked in ${looked}); records exported by \`airlabel export\` carry it, keep it when editing`);
}

/** Every verdict a record holds (several for the annotators of Argilla and Label Studio). Throws `ReviewImportError`. */
export function verdictsOf(entry: Entry, from: ReviewSource, field: AnswerField): Verdict[] {
    switch (from) {
        case "prodigy":
            return [prodigyVerdict(entry, field)];
        case "argilla":
            return argillaVerdicts(entry, field);
        case "label-studio":
            return labelStudioVerdicts(entry, field);
        case "jsonl":
            return [jsonlVerdict(entry, field)];
    }
}

/** A `prodigy db-out` task: accept/reject/ignore of a choice, text box or binary label. */
function prodigyVerdict(entry: Entry, field: AnswerField): Verdict {
    const {record} = entry;
    const answer = record.answer;
    const annotator = typeof record._annotator_id === "string" ? record._annotator_id : typeof record._session_id === "string" ? record._session_id : undefined;
    const by = (verdict: Verdict): Verdict => (annotator === undefined ? verdict : {...verdict, annotator});
    if (answer !== "accept" && answer !== "reject" && answer !== "ignore")
        throw new ReviewImportError(`${entry.where}: no answer (accept, reject or ignore); pass the output of \`prodigy db-out\``);
    if (answer === "ignore") return by({value: null, decision: "ignore"});
    if (Array.isArray(record.options)) {
        const accepted = Array.isArray(record.accept) ? record.accept : [];
        if (answer === "reject" || accepted.length === 0) return by({value: null, decision: answer});
        return by({value: typed(accepted[0], field, entry), decision: "accept"});
    }
    if (PRODIGY_INPUT_KEY in record) {
        if (answer === "reject") return by({value: null, decision: "reject"});
        return by({value: typed(record[PRODIGY_INPUT_KEY], field, entry), decision: "accept"});
    }
    if (typeof record.label === "string") {
        if (field.kind === "binary") return by({value: answer === "accept", decision: answer});
        return by({value: answer === "accept" ? typed(record.label, field, entry) : null, decision: answer});
    }
    throw new ReviewImportError(
        `${entry.where}: not a task this field can be read from (no options, user_input or label); pass the file \`prodigy db-out\` wrote for the tasks airlabel exported`
    );
}

/** An Argilla record: 2.x nested (`responses: {question: [{value, user_id, status}]}`), 2.x flattened, or 1.x FeedbackDataset. */
function argillaVerdicts(entry: Entry, field: AnswerField): Verdict[] {
    const {record} = entry;
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

/** The value key of each Label Studio result type airlabel's config uses. */
const LABEL_STUDIO_VALUE_KEYS: Readonly<Record<string, string>> = {choices: "choices", textarea: "text", number: "number", rating: "rating"};

/**
 * A Label Studio JSON export task: one verdict per annotation (`completed_by` the annotator: a user id, or
 * `{id, email}`), its value the result of the control named after the field (or the only result of a known type);
 * a cancelled (skipped) annotation has no value.
 */
function labelStudioVerdicts(entry: Entry, field: AnswerField): Verdict[] {
    const annotations = Array.isArray(entry.record.annotations) ? entry.record.annotations : [];
    const control = labelStudioControlName(field);
    const verdicts: Verdict[] = [];
    for (const annotation of annotations) {
        if (!isObject(annotation)) continue;
        const annotator = annotatorOf(annotation.completed_by);
        const by = (verdict: Verdict): Verdict => (annotator === undefined ? verdict : {...verdict, annotator});
        if (annotation.was_cancelled === true) {
            verdicts.push(by({value: null, decision: "cancelled"}));
            continue;
        }
        const results = (Array.isArray(annotation.result) ? annotation.result : []).filter(
            (result): result is Record<string, unknown> => isObject(result) && typeof result.type === "string" && result.type in LABEL_STUDIO_VALUE_KEYS
        );
        const result = results.find((item) => item.from_name === control) ?? (results.length === 1 ? results[0] : undefined);
        const raw = result !== undefined && isObject(result.value) ? result.value[LABEL_STUDIO_VALUE_KEYS[result.type as string]!] : undefined;
        const value = Array.isArray(raw) ? raw[0] : raw;
        verdicts.push(
            by(value === undefined || value === null ? {value: null, decision: "empty"} : {value: typed(value, field, entry), decision: "submitted"})
        );
    }
    return verdicts;
}

function annotatorOf(completedBy: unknown): string | undefined {
    if (typeof completedBy === "string" && completedBy !== "") return completedBy;
    if (typeof completedBy === "number") return `user-${completedBy}`;
    if (isObject(completedBy)) {
        if (typeof completedBy.email === "string" && completedBy.email !== "") return completedBy.email;
        if (typeof completedBy.id === "number" || typeof completedBy.id === "string") return `user-${completedBy.id}`;
    }
    return undefined;
}

/** A JSONL record `{idx, value}` (or the field's name, or `annotation`), with an optional `annotator`. */
function jsonlVerdict(entry: Entry, field: AnswerField): Verdict {
    const {record} = entry;
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
    const verdict: Verdict = {value: value === null ? null : typed(value, field, entry), decision: value === null ? "unlabelled" : "labelled"};
    return typeof record.annotator === "string" && record.annotator !== "" ? {...verdict, annotator: record.annotator} : verdict;
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

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
