import path from "node:path";
import type {AnswerField} from "./resolveAnswerField.js";
import type {HandoffRow, HandoffSource} from "./readHandoffSource.js";
import {answerScore} from "./answerScore.js";
import {isTie, majorityOf, modelValues, suggestionFor, textColumnsOf} from "./handoffRows.js";
import {stringifyJson} from "../json/stringifyJson.js";
import {
    answerQuestion,
    ArgillaNames,
    argillaName,
    type ArgillaEntry,
    floatMetadata,
    integerMetadata,
    labelQuestion,
    ratingQuestion,
    termsMetadata,
    textField
} from "./argillaSettings.js";
import {answerSlotsOf, judgeScaleOf, shownAnswerOf, type AnswerSlot, type ShownAnswer} from "./shownAnswers.js";

/*
 * The folder Argilla 2.x's `rg.Dataset.from_disk(path)` reads (argilla-io/argilla,
 * argilla/src/argilla/datasets/_io/_disk.py): `.argilla/dataset.json` (the DatasetModel, `_load_dataset_model`),
 * `.argilla/settings.json` (`Settings.from_json`) and `records.json` (`dataset.records.from_json`: a JSON list of
 * `Record.to_dict()`, read back by `Record.from_dict`: {id, fields, metadata, suggestions: {question: {value, score,
 * agent}}, responses: {question: [{value, user_id}]}, vectors, _server_id}).
 * Each model's answer is a field (`response_<id>`); a comparison (or a judge step's earlier answers) adds a rating
 * question per answer (`rating_<id>`) and a "which is better" question; a judge's verdict on an answer is the field
 * beside it (`judge_<id>`) and its score the rating question's suggestion. Argilla keeps one suggestion per question
 * and record, so the main question's suggestion is the answer most models gave, and none when they tie.
 */

/** One record as Argilla's `Record.from_dict` reads it. */
export interface ArgillaRecord {
    id: string;
    fields: Record<string, string>;
    metadata: Record<string, string | number>;
    suggestions: Record<string, {value: string | number; score: number | null; agent: string | null}>;
    responses: Record<string, {value: unknown; user_id: string}[]>;
    vectors: Record<string, never>;
    _server_id: null;
}

/** `.argilla/settings.json`, as `Settings.serialize()` writes it and `Settings._from_dict` reads it. */
export interface ArgillaSettings {
    guidelines: string;
    questions: ArgillaEntry[];
    fields: ArgillaEntry[];
    vectors: never[];
    metadata: ArgillaEntry[];
    allow_extra_metadata: boolean;
    distribution: {strategy: "overlap"; min_submitted: number};
    mapping: null;
}

/** `.argilla/dataset.json`: the DatasetModel (`api_model().model_dump()`), of which `from_disk` needs `name`. */
export interface ArgillaDatasetModel {
    id: null;
    inserted_at: null;
    updated_at: null;
    name: string;
    status: "draft";
    guidelines: string;
    allow_extra_metadata: boolean;
    distribution: {strategy: "overlap"; min_submitted: number};
    workspace_id: null;
    last_activity_at: null;
}

/** What `toArgilla` built: the three files of the folder. */
export interface ArgillaExport {
    dataset: ArgillaDatasetModel;
    settings: ArgillaSettings;
    records: ArgillaRecord[];
    /** Rows left out: they keep no input columns (a row that could not be read), so there is nothing to show. */
    skipped: number;
    /** Records of rows a model failed (included, marked in metadata and in the answer's field). */
    failed: number;
}

/** Options of `toArgilla`. */
export interface ToArgillaOptions {
    /** Markdown guidelines shown to annotators. Defaults to a paragraph naming the models, the field and the source. */
    guidelines?: string;
    /** The dataset's name. Defaults to `airlabel-<the output dir's name>`. */
    name?: string;
}

/** The main question's name for `field` (its Argilla name). */
export function argillaQuestionName(field: AnswerField): string {
    return argillaName(field.name);
}

/** Names of everything a record and the settings hold, decided once per source. */
interface Layout {
    question: string;
    slots: {slot: AnswerSlot; response: string; judge: string | null; rating: string | null; ok: string | null; score: string | null}[];
    better: string | null;
    inputs: Map<string, string>;
    scale: number[];
    multi: boolean;
    names: ArgillaNames;
}

/** The Argilla folder's content for a source: one record per row (id = idx), its settings and its dataset model. */
export function toArgilla(source: HandoffSource, field: AnswerField, options: ToArgillaOptions = {}): ArgillaExport {
    const layout = layoutOf(source, field);
    const records: ArgillaRecord[] = [];
    let skipped = 0;
    let failed = 0;
    for (const row of source.rows) {
        if (Object.keys(row.columns).length === 0) {
            skipped++;
            continue;
        }
        if (Object.values(row.responses).some((response) => !response.ok)) failed++;
        records.push(recordOf(row, source, field, layout));
    }
    const settings = settingsOf(source, field, layout, options.guidelines ?? defaultGuidelines(source, field, layout));
    const dataset: ArgillaDatasetModel = {
        id: null,
        inserted_at: null,
        updated_at: null,
        name: options.name ?? datasetName(source.dir),
        status: "draft",
        guidelines: settings.guidelines,
        allow_extra_metadata: settings.allow_extra_metadata,
        distribution: settings.distribution,
        workspace_id: null,
        last_activity_at: null
    };
    return {dataset, settings, records, skipped, failed};
}

/** A dataset name Argilla takes (letters, digits, `-`, `_`, not starting with `-` or `_`): `airlabel-<dir name>`. */
export function datasetName(dir: string): string {
    const base = path
        .basename(path.resolve(dir))
        .replace(/[^A-Za-z0-9_-]+/gu, "-")
        .replace(/^[-_]+|[-_]+$/gu, "");
    return base === "" ? "airlabel" : `airlabel-${base}`;
}

function layoutOf(source: HandoffSource, field: AnswerField): Layout {
    const names = new ArgillaNames();
    // the metadata properties' names first: names are unique across fields, questions and metadata
    for (const name of source.comparison ? ["idx", "agreement"] : ["idx", "model", "failed", "error", "prompt_tokens", "completion_tokens"]) names.take(name);
    const question = names.take(field.name);
    const {slots, judged} = answerSlotsOf(source);
    const multi = source.comparison || judged;
    const layoutSlots = slots.map((slot) => ({
        slot,
        response: names.take(`response_${slot.id}`),
        judge: judged ? names.take(`judge_${slot.id}`) : null,
        rating: multi ? names.take(`rating_${slot.id}`) : null,
        ok: source.comparison ? names.take(`${slot.id}-ok`) : null,
        score: judged ? names.take(`judge_${slot.id}-score`) : null
    }));
    const better = multi && slots.length >= 2 && question !== "better" ? names.take("better") : null;
    // the `text` column (if any) first: it is the field Argilla shows on top and requires
    const textColumns = textColumnsOf(source).sort((a, b) => Number(b === "text") - Number(a === "text"));
    const inputs = new Map<string, string>();
    for (const column of textColumns.length > 0 ? textColumns : ["input"]) inputs.set(column, names.take(column));
    const scores = judged
        ? source.rows.flatMap((row) => slots.map((slot) => shownAnswerOf(row, source, slot)?.judge?.score).filter((score) => typeof score === "number"))
        : [];
    return {question, slots: layoutSlots, better, inputs, scale: judgeScaleOf(source, slots, scores), multi, names};
}

function recordOf(row: HandoffRow, source: HandoffSource, field: AnswerField, layout: Layout): ArgillaRecord {
    const fields: Record<string, string> = {};
    for (const [column, name] of layout.inputs)
        fields[name] = column === "input" && !(column in row.columns) ? stringifyJson(row.columns) : textOf(row.columns[column]);
    const metadata: Record<string, string | number> = {idx: row.idx};
    const suggestions: ArgillaRecord["suggestions"] = {};
    const judgeAgent = source.models[0]?.model ?? null;
    for (const {slot, response, judge, rating, ok, score} of layout.slots) {
        const shown = shownAnswerOf(row, source, slot);
        fields[response] = answerText(shown);
        if (ok !== null) metadata[ok] = shown?.ok === true ? "yes" : "no";
        if (judge !== null) fields[judge] = verdictText(shown, row, source);
        const judged = shown?.judge?.score;
        if (score !== null && typeof judged === "number") metadata[score] = judged;
        if (rating !== null && typeof judged === "number" && layout.scale.includes(judged))
            suggestions[rating] = {value: judged, score: null, agent: judgeAgent};
    }
    const values = modelValues(row, source, field);
    if (source.comparison) {
        const majority = majorityOf(values);
        const suggestion = majority === undefined ? undefined : suggestionFor(field, majority.value);
        if (majority !== undefined && suggestion !== undefined)
            suggestions[layout.question] = {
                value: suggestion,
                score: majority.modelIds.length / source.models.length,
                agent: majority.modelIds.map((id) => source.models.find((model) => model.id === id)?.model ?? id).join(" + ")
            };
        metadata.agreement = isTie(values)
            ? "tie"
            : values.size === source.models.length && majority?.modelIds.length === values.size
              ? "all agree"
              : "disagree";
    } else {
        const model = source.models[0]!;
        const response = row.responses[model.id];
        const value = values.get(model.id);
        const suggestion = value === undefined ? undefined : suggestionFor(field, value);
        if (suggestion !== undefined) suggestions[layout.question] = {value: suggestion, score: answerScore(response, field), agent: model.model};
        metadata.model = model.model;
        metadata.failed = response?.ok === false ? "yes" : "no";
        if (response?.ok === false) metadata.error = response.reason ?? "failed";
        if (response?.promptTokens !== undefined) metadata.prompt_tokens = response.promptTokens;
        if (response?.completionTokens !== undefined) metadata.completion_tokens = response.completionTokens;
    }
    const better = betterSuggestion(row, source, layout);
    if (layout.better !== null && better !== undefined) suggestions[layout.better] = {value: better, score: null, agent: judgeAgent};
    for (const [name, value] of Object.entries(row.columns)) {
        const key = argillaName(name);
        if (typeof value === "string" || layout.names.has(key) || key in metadata) continue;
        if (typeof value === "number" && Number.isFinite(value)) metadata[key] = value;
        else if (typeof value === "boolean") metadata[key] = String(value);
    }
    return {id: String(row.idx), fields, metadata, suggestions, responses: {}, vectors: {}, _server_id: null};
}

/** The judge's `better` answer, when it names one of the slots or `tie`. */
function betterSuggestion(row: HandoffRow, source: HandoffSource, layout: Layout): string | undefined {
    const own = row.responses[source.models[0]?.id ?? ""];
    if (layout.better === null || own?.ok !== true || typeof own.annotation !== "object" || own.annotation === null) return undefined;
    const better = (own.annotation as Record<string, unknown>).better;
    if (typeof better !== "string") return undefined;
    const options = new Map(layout.slots.map(({slot}) => [slot.id, argillaName(slot.id)]));
    return better === "tie" ? "tie" : [...options.entries()].find(([id]) => id === better || `response_${id}` === better)?.[1];
}

/** A column value as field text. */
function textOf(value: unknown): string {
    return typeof value === "string" ? value : value === undefined || value === null ? "" : stringifyJson(value);
}

/** An answer as field text: the string itself, else its JSON (indented); a failed one says so. */
export function answerText(shown: ShownAnswer | undefined): string {
    if (shown === undefined) return "(no answer: the row did not reach this model)";
    if (!shown.ok) return `(failed: ${shown.reason ?? "no answer"})`;
    return typeof shown.annotation === "string" ? shown.annotation : stringifyJson(shown.annotation, 2);
}

function verdictText(shown: ShownAnswer | undefined, row: HandoffRow, source: HandoffSource): string {
    if (shown?.judge !== undefined) return typeof shown.judge.verdict === "string" ? shown.judge.verdict : stringifyJson(shown.judge.verdict, 2);
    const own = row.responses[source.models[0]?.id ?? ""];
    return own?.ok === false ? `(the judge failed: ${own.reason ?? "no answer"})` : "(no verdict)";
}

function settingsOf(source: HandoffSource, field: AnswerField, layout: Layout, guidelines: string): ArgillaSettings {
    const fields = [...layout.inputs].map(([column, name], i) => textField(name, column, i === 0));
    const questions = [
        answerQuestion(
            field,
            layout.question,
            field.name,
            true,
            source.comparison
                ? `The right ${field.name} (suggested: the answer most models gave; none when they tie)`
                : `The right ${field.name} (suggested: the model's answer)`
        )
    ];
    for (const {slot, response, judge, rating} of layout.slots) {
        fields.push(textField(response, `${slot.title}'s answer`, false));
        if (judge !== null) fields.push(textField(judge, `judge's verdict on ${slot.title}`, false));
        if (rating !== null)
            questions.push(ratingQuestion(rating, `Rate ${slot.title}'s answer`, `How good is the answer in ${response}?`, false, layout.scale));
    }
    if (layout.better !== null)
        questions.push(
            labelQuestion(layout.better, "Which answer is better?", "Pick the better answer, or tie", false, [
                ...layout.slots.map(({slot}) => argillaName(slot.id)),
                "tie"
            ])
        );
    const metadata: ArgillaEntry[] = [integerMetadata("idx", "idx (row of the input)")];
    if (source.comparison) {
        metadata.push(termsMetadata("agreement", "do the models agree", ["all agree", "disagree", "tie"]));
        for (const {slot, ok} of layout.slots) if (ok !== null) metadata.push(termsMetadata(ok, `${slot.title} answered`, ["yes", "no"]));
    } else {
        metadata.push(termsMetadata("model", "model", [source.models[0]!.model]), termsMetadata("failed", "the model failed the row", ["yes", "no"]));
        metadata.push(integerMetadata("prompt_tokens", "prompt tokens"), integerMetadata("completion_tokens", "completion tokens"));
    }
    for (const {slot, score} of layout.slots) if (score !== null) metadata.push(floatMetadata(score, `judge's score of ${slot.title}`));
    return {
        guidelines,
        questions,
        fields,
        vectors: [],
        metadata,
        allow_extra_metadata: true,
        distribution: {strategy: "overlap", min_submitted: 1},
        mapping: null
    };
}

function defaultGuidelines(source: HandoffSource, field: AnswerField, layout: Layout): string {
    const models = source.models.map((model) => model.model).join(", ");
    const who = source.comparison ? `the models (${models}) gave` : `the model ${models} gave`;
    const rate = layout.multi ? " Rate each answer shown, and say which is better." : "";
    return (
        `Review the ${field.name} that ${who} for each row.${rate} ` +
        `(Exported by airlabel from ${source.dir}; the record id is the row's idx in the input; failed rows are marked in their metadata.)`
    );
}
