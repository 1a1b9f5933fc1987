import type {AnswerField} from "./resolveAnswerField.js";
import type {HandoffRow, HandoffSource} from "./readHandoffSource.js";
import {majorityOf, modelValues, suggestionFor, textColumnsOf} from "./handoffRows.js";
import {stringifyJson} from "../json/stringifyJson.js";

/*
 * The shapes written here follow Argilla 2.x's own code (argilla-io/argilla, argilla/src/argilla/):
 * - records: `Record.to_dict()` / `Record.from_dict()` (records/_resource.py), the JSON that
 *   `dataset.records.to_json()` writes and `Record.from_dict` reads back: {id, fields, metadata,
 *   suggestions: {question: {value, score, agent}}, responses: {question: [{value, user_id}]}, vectors, _server_id};
 * - settings: `Settings.serialize()` / `Settings.from_json()` (settings/_resource.py) with the question models of
 *   _models/_settings/_questions (label_selection: options [{value, text}], rating: options [{value}], text:
 *   use_markdown), fields of _models/_settings/_fields.py and metadata of _models/_settings/_metadata.py.
 * Argilla keeps ONE suggestion per question and record (argilla-server: UniqueConstraint(record_id, question_id)),
 * so a comparison gets one optional question per model, each holding that model's answer as its suggestion,
 * beside the main (required) question whose suggestion is the majority answer.
 * Names of fields, questions and metadata are lower-case [a-z0-9_-] (Argilla lower-cases question and metadata
 * names and its server accepts only these characters).
 */

/** One record as Argilla's `Record.from_dict` reads it. */
export interface ArgillaRecord {
    id: string;
    fields: Record<string, string>;
    metadata: Record<string, string | number>;
    suggestions: Record<string, {value: string | number; score: number | null; agent: string}>;
    responses: Record<string, never[]>;
    vectors: Record<string, never>;
    _server_id: null;
}

/** Dataset settings as Argilla's `Settings.from_json` reads them. */
export interface ArgillaSettings {
    guidelines: string;
    fields: Record<string, unknown>[];
    questions: Record<string, unknown>[];
    vectors: never[];
    metadata: Record<string, unknown>[];
    allow_extra_metadata: boolean;
}

/** What `toArgilla` built. */
export interface ArgillaExport {
    records: ArgillaRecord[];
    settings: ArgillaSettings;
    /** Rows left out: no model answered them, so there is no input text to show (failed rows keep no columns). */
    skipped: number;
}

/** Argilla names: lower-case letters, digits, `_` and `-`. */
export function argillaName(name: string): string {
    const cleaned = name
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/gu, "_")
        .replace(/^_+|_+$/gu, "");
    return /[a-z0-9]/u.test(cleaned) ? cleaned : "field";
}

/** The main question's name for `field` (its Argilla name). */
export function argillaQuestionName(field: AnswerField): string {
    return argillaName(field.name);
}

/** The per-model question of a comparison. */
export function argillaModelQuestionName(field: AnswerField, modelId: string): string {
    return `${argillaQuestionName(field)}-${argillaName(modelId)}`;
}

/** Argilla records (one per input row, id = the row's idx) and the matching dataset settings. */
export function toArgilla(source: HandoffSource, field: AnswerField): ArgillaExport {
    // the `text` column (if any) first: it is the field Argilla shows on top and requires
    const textColumns = textColumnsOf(source).sort((a, b) => Number(b === "text") - Number(a === "text"));
    const question = argillaQuestionName(field);
    const modelQuestions = source.comparison ? source.models.map((model) => argillaModelQuestionName(field, model.id)) : [];
    const fieldNames = uniqueNames(textColumns.length > 0 ? textColumns : ["input"], new Set([question, ...modelQuestions]));
    const reserved = new Set([...fieldNames.values(), question, ...modelQuestions]);
    const records: ArgillaRecord[] = [];
    let skipped = 0;
    for (const row of source.rows) {
        if (Object.keys(row.columns).length === 0) {
            skipped++;
            continue;
        }
        records.push(recordOf(row, source, field, textColumns, fieldNames, question, modelQuestions, reserved));
    }
    return {records, settings: settingsOf(source, field, textColumns, fieldNames, question, modelQuestions), skipped};
}

function recordOf(
    row: HandoffRow,
    source: HandoffSource,
    field: AnswerField,
    textColumns: readonly string[],
    fieldNames: ReadonlyMap<string, string>,
    question: string,
    modelQuestions: readonly string[],
    reserved: ReadonlySet<string>
): ArgillaRecord {
    const fields: Record<string, string> = {};
    if (textColumns.length === 0) fields[fieldNames.get("input")!] = stringifyJson(row.columns);
    for (const column of textColumns) {
        const value = row.columns[column];
        fields[fieldNames.get(column)!] = typeof value === "string" ? value : value === undefined || value === null ? "" : stringifyJson(value);
    }
    const metadata: Record<string, string | number> = {idx: row.idx};
    for (const [name, value] of Object.entries(row.columns)) {
        if (typeof value === "string") continue;
        const key = argillaName(name);
        if (reserved.has(key) || key in metadata) continue;
        if (typeof value === "number" && Number.isFinite(value)) metadata[key] = value;
        else if (typeof value === "boolean") metadata[key] = String(value);
    }
    const suggestions: ArgillaRecord["suggestions"] = {};
    const values = modelValues(row, source, field);
    if (source.comparison) {
        source.models.forEach((model, i) => {
            const value = values.get(model.id);
            const suggestion = value === undefined ? undefined : suggestionFor(field, value);
            if (suggestion !== undefined)
                suggestions[modelQuestions[i]!] = {value: suggestion, score: scoreOf(row.responses[model.id]?.annotation, field), agent: model.model};
            metadata[`${argillaName(model.id)}-ok`] = row.responses[model.id]?.ok === true ? "yes" : "no";
        });
        const majority = majorityOf(values);
        const suggestion = majority === undefined ? undefined : suggestionFor(field, majority.value);
        if (majority !== undefined && suggestion !== undefined)
            suggestions[question] = {
                value: suggestion,
                score: majority.modelIds.length / source.models.length,
                agent: majority.modelIds.map((id) => source.models.find((model) => model.id === id)?.model ?? id).join(" + ")
            };
        metadata.agreement = values.size === source.models.length && majority?.modelIds.length === values.size ? "all agree" : "disagree";
    } else {
        const model = source.models[0]!;
        const response = row.responses[model.id];
        const value = values.get(model.id);
        const suggestion = value === undefined ? undefined : suggestionFor(field, value);
        if (suggestion !== undefined) suggestions[question] = {value: suggestion, score: scoreOf(response?.annotation, field), agent: model.model};
        metadata.model = model.model;
        if (response?.promptTokens !== undefined) metadata.prompt_tokens = response.promptTokens;
        if (response?.completionTokens !== undefined) metadata.completion_tokens = response.completionTokens;
    }
    return {id: String(row.idx), fields, metadata, suggestions, responses: {}, vectors: {}, _server_id: null};
}

/** Answer keys read as the model's own confidence in its answer (Argilla's suggestion score, 0..1). */
const SCORE_KEYS = ["confidence", "score", "probability"];

/** The suggestion score: a `confidence`/`score`/`probability` number in 0..1 beside the reviewed key, else null. */
function scoreOf(annotation: unknown, field: AnswerField): number | null {
    if (field.key === null || typeof annotation !== "object" || annotation === null || Array.isArray(annotation)) return null;
    for (const key of SCORE_KEYS) {
        const value = (annotation as Record<string, unknown>)[key];
        if (key !== field.key && typeof value === "number" && value >= 0 && value <= 1) return value;
    }
    return null;
}

function settingsOf(
    source: HandoffSource,
    field: AnswerField,
    textColumns: readonly string[],
    fieldNames: ReadonlyMap<string, string>,
    question: string,
    modelQuestions: readonly string[]
): ArgillaSettings {
    const fields = (textColumns.length > 0 ? textColumns : ["input"]).map((column) => ({
        name: fieldNames.get(column)!,
        title: column,
        required: textColumns.length === 0,
        description: null,
        settings: {type: "text", use_markdown: false},
        type: "text"
    }));
    if (fields[0] !== undefined) fields[0].required = true;
    const questions = [
        questionOf(
            field,
            question,
            field.name,
            true,
            source.comparison ? `The right ${field.name} (suggested: the answer most models gave)` : `The right ${field.name} (suggested: the model's answer)`
        )
    ];
    source.models.forEach((model, i) => {
        if (source.comparison)
            questions.push(
                questionOf(field, modelQuestions[i]!, `${field.name} according to ${model.model}`, false, `${model.model}'s answer; correct it if it is wrong`)
            );
    });
    const metadata: Record<string, unknown>[] = [integerMetadata("idx", "idx (row of the input)")];
    if (source.comparison) {
        metadata.push(termsMetadata("agreement", "do the models agree", ["all agree", "disagree"]));
        for (const model of source.models) metadata.push(termsMetadata(`${argillaName(model.id)}-ok`, `${model.model} answered`, ["yes", "no"]));
    } else {
        metadata.push(termsMetadata("model", "model", [source.models[0]!.model]));
        metadata.push(integerMetadata("prompt_tokens", "prompt tokens"), integerMetadata("completion_tokens", "completion tokens"));
    }
    const models = source.models.map((model) => model.model).join(", ");
    return {
        guidelines:
            `Review the ${field.name} that ${source.comparison ? `the models (${models}) gave` : `the model ${models} gave`} for each row ` +
            `(exported by airlabel from ${source.dir}; the record id is the row's idx in the input).`,
        fields,
        questions,
        vectors: [],
        metadata,
        allow_extra_metadata: true
    };
}

function questionOf(field: AnswerField, name: string, title: string, required: boolean, description: string): Record<string, unknown> {
    const base = {name, title, description, required};
    switch (field.kind) {
        case "label":
        case "binary": {
            const labels = field.kind === "binary" ? ["true", "false"] : (field.labels ?? []);
            return {
                ...base,
                settings: {
                    type: "label_selection",
                    options: labels.map((label) => ({value: label, text: label, description: null})),
                    visible_options: labels.length >= 3 ? labels.length : null
                },
                type: "label_selection"
            };
        }
        case "rating":
            return {...base, settings: {type: "rating", options: (field.values ?? []).map((value) => ({value}))}, type: "rating"};
        case "number":
        case "text":
            return {...base, settings: {type: "text", use_markdown: false}, type: "text"};
    }
}

function integerMetadata(name: string, title: string): Record<string, unknown> {
    return {name, title, type: "integer", settings: {type: "integer", min: null, max: null, visible_for_annotators: true}, visible_for_annotators: true};
}

function termsMetadata(name: string, title: string, values: string[]): Record<string, unknown> {
    return {name, title, type: "terms", settings: {type: "terms", values, visible_for_annotators: true}, visible_for_annotators: true};
}

/** Argilla names for the input columns, made unique (`text`, `text_2`, ...). */
function uniqueNames(columns: readonly string[], taken: ReadonlySet<string>): Map<string, string> {
    const names = new Map<string, string>();
    const used = new Set<string>(taken);
    for (const column of columns) {
        const base = argillaName(column);
        let name = base;
        for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
        used.add(name);
        names.set(column, name);
    }
    return names;
}
