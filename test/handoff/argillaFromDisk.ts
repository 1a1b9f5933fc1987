import fs from "node:fs";
import path from "node:path";

/*
 * What Argilla 2.x's `rg.Dataset.from_disk(path)` reads, and the checks it makes while reading, reimplemented from
 * its source (argilla-io/argilla, argilla/src/argilla/), so a test can load airlabel's folder the way Argilla would:
 * - datasets/_io/_disk.py: `_define_child_paths` (path must be a directory; `.argilla/dataset.json`,
 *   `.argilla/settings.json`, `records.json`), `_load_dataset_model` (`DatasetModel(**json.load(f))`), then for a new
 *   dataset `Settings.from_json(settings_path)` (missing file: ImportDatasetError) and `dataset.create()` (which runs
 *   `Settings.validate()`), then `dataset.records.from_json(records_path)` when that file exists;
 * - _models/_dataset.py DatasetModel: name str (required), status draft|ready, guidelines str|None,
 *   allow_extra_metadata bool, distribution None|{strategy: "overlap", min_submitted: PositiveInt}; pydantic ignores
 *   other keys;
 * - settings/_resource.py `_from_dict`: fields via `_field_from_dict` (FieldModel: name, settings discriminated by
 *   `type` text|image|chat|custom, title, required bool, description), questions via `question_from_dict`
 *   (`data["settings"]["type"]` picks the class; label_selection options unique by value, values and texts str,
 *   visible_options None or >= 3; rating options unique; text use_markdown bool), metadata via `MetadataField.from_dict`
 *   (`data["type"]` terms|integer|float, settings discriminated by type, integer min/max ints, min < max), vectors,
 *   distribution (`TaskDistribution.from_dict`), mapping; `validate()`: fields and questions non-empty, names unique
 *   across fields, questions, vectors and metadata;
 * - records/_io/_json.py `_records_from_json`: `json.load` of a list, each through records/_resource.py
 *   `Record.from_dict`: `Suggestion(question_name=q, **value)` (keys value, score, agent, type; value not None),
 *   `Response(question_name=q, **value)` for each of a question's list (keys value, user_id, status; value and user_id
 *   not None; status draft|submitted|discarded), `Record(id, fields, ...)` (RecordModel fields: str or None values);
 *   then `log` sends them, where a suggestion or response for a question the settings lack is refused
 *   (Suggestion.api_model: RecordSuggestionsError) and the server checks fields, suggestion values and terms metadata
 *   against the settings ("Records and datasets settings are not compatible").
 */

/** Argilla would refuse the folder: the message says where and why. */
export class FromDiskError extends Error {}

type Obj = Record<string, unknown>;

/** What `from_disk` ends up with. */
export interface LoadedDataset {
    dataset: Obj;
    settings: {fields: Obj[]; questions: Obj[]; metadata: Obj[]; vectors: Obj[]; guidelines: string | null; allow_extra_metadata: unknown};
    records: Obj[];
}

/** Load a folder the way `rg.Dataset.from_disk(folder)` reads it. Throws FromDiskError where Argilla would raise. */
export function loadFromDisk(folder: string): LoadedDataset {
    if (!fs.statSync(folder, {throwIfNoEntry: false})?.isDirectory()) fail(`Path ${folder} is not a directory`);
    const datasetPath = path.join(folder, ".argilla", "dataset.json");
    const settingsPath = path.join(folder, ".argilla", "settings.json");
    const recordsPath = path.join(folder, "records.json");
    if (!fs.existsSync(datasetPath)) fail(`Dataset model not found at ${datasetPath}`);
    const dataset = datasetModel(readJson(datasetPath));
    if (!fs.existsSync(settingsPath)) fail(`Settings file not found at ${settingsPath}`);
    const settings = settingsFromDict(readJson(settingsPath));
    validateSettings(settings);
    const records = fs.existsSync(recordsPath) ? recordsFromJson(readJson(recordsPath), settings) : [];
    return {dataset, settings, records};
}

function datasetModel(data: unknown): Obj {
    const model = object(data, "dataset.json");
    if (typeof model.name !== "string" || model.name.trim() === "") fail("DatasetModel: name must be a non-empty string");
    if (model.status !== undefined && model.status !== "draft" && model.status !== "ready") fail("DatasetModel: status must be draft or ready");
    if (model.guidelines !== undefined && model.guidelines !== null && typeof model.guidelines !== "string") fail("DatasetModel: guidelines");
    if (model.allow_extra_metadata !== undefined && typeof model.allow_extra_metadata !== "boolean") fail("DatasetModel: allow_extra_metadata");
    if (model.distribution !== undefined && model.distribution !== null) distribution(model.distribution, "DatasetModel.distribution");
    return model;
}

function distribution(data: unknown, where: string): void {
    const value = object(data, where);
    if (value.strategy !== "overlap") fail(`${where}: strategy must be "overlap"`);
    if (!Number.isInteger(value.min_submitted) || (value.min_submitted as number) < 1) fail(`${where}: min_submitted must be a positive integer`);
}

function settingsFromDict(data: unknown): LoadedDataset["settings"] {
    const dict = object(data, "settings.json");
    const list = (key: string) => {
        const value = dict[key] ?? [];
        if (!Array.isArray(value)) fail(`settings.json: ${key} must be a list`);
        return (value as unknown[]).map((item, i) => object(item, `settings.json ${key}[${i}]`));
    };
    const fields = list("fields").map(fieldFromDict);
    const questions = list("questions").map(questionFromDict);
    const metadata = list("metadata").map(metadataFromDict);
    const vectors = list("vectors");
    if (dict.guidelines !== undefined && dict.guidelines !== null && typeof dict.guidelines !== "string")
        fail("Guidelines must be a string or a path to a file");
    if (dict.distribution) distribution(dict.distribution, "settings.json distribution");
    if (dict.mapping !== undefined && dict.mapping !== null && typeof dict.mapping !== "object") fail("settings.json: mapping");
    return {
        fields,
        questions,
        metadata,
        vectors,
        guidelines: (dict.guidelines as string | null | undefined) ?? null,
        allow_extra_metadata: dict.allow_extra_metadata
    };
}

function fieldFromDict(field: Obj): Obj {
    if (typeof field.name !== "string") fail("FieldModel: name must be a string");
    const settings = object(field.settings, `field ${field.name} settings`);
    if (!["text", "image", "chat", "custom"].includes(settings.type as string)) fail(`Unsupported field type: ${String(settings.type)}`);
    if (settings.use_markdown !== undefined && settings.use_markdown !== null && typeof settings.use_markdown !== "boolean")
        fail(`field ${field.name}: use_markdown`);
    if (field.required !== undefined && typeof field.required !== "boolean") fail(`field ${field.name}: required must be a bool`);
    for (const key of ["title", "description"])
        if (field[key] !== undefined && field[key] !== null && typeof field[key] !== "string") fail(`field ${field.name}: ${key}`);
    return field;
}

function questionFromDict(question: Obj): Obj {
    // question_from_dict: _TYPE_TO_CLASS[data["settings"]["type"]]
    const settings = object(question.settings, "question settings");
    const type = settings.type;
    if (!["label_selection", "multi_label_selection", "ranking", "text", "rating", "span"].includes(type as string))
        fail(`Unsupported question model type: ${String(type)}`);
    if (typeof question.name !== "string") fail("QuestionBaseModel: name must be a string");
    if (question.required !== undefined && typeof question.required !== "boolean") fail(`question ${question.name}: required`);
    const name = question.name.toLowerCase().replace(/ /gu, "_");
    if (type === "label_selection" || type === "multi_label_selection" || type === "ranking" || type === "rating") {
        if (!Array.isArray(settings.options)) fail(`question ${name}: options must be a list`);
        const options = (settings.options as unknown[]).map((option) => object(option, `question ${name} option`));
        if (new Set(options.map((option) => JSON.stringify(option.value))).size !== options.length) fail(`question ${name}: All values must be unique`);
        if (type !== "rating")
            for (const option of options)
                for (const key of ["value", "text", "description"])
                    if (option[key] !== undefined && option[key] !== null && typeof option[key] !== "string")
                        fail(`question ${name}: option ${key} must be a str`);
        if (type === "rating" && !options.every((option) => Number.isInteger(option.value))) fail(`question ${name}: rating values must be integers`);
        if (settings.visible_options !== undefined && settings.visible_options !== null && !((settings.visible_options as number) >= 3))
            fail(`question ${name}: visible_options must be >= 3`);
    }
    if (type === "text" && settings.use_markdown !== undefined && typeof settings.use_markdown !== "boolean") fail(`question ${name}: use_markdown`);
    return {...question, name};
}

function metadataFromDict(property: Obj): Obj {
    // MetadataField.from_dict: data["type"] picks the class, MetadataFieldModel(**data) validates
    const type = property.type;
    if (type !== "terms" && type !== "integer" && type !== "float") fail(`Unknown metadata property type: ${String(type)}`);
    if (typeof property.name !== "string") fail("MetadataFieldModel: name must be a string");
    const settings = object(property.settings, `metadata ${property.name} settings`);
    if (settings.type !== type) fail(`metadata ${property.name}: settings.type must match its type`);
    if (type === "terms" && settings.values !== undefined && settings.values !== null && !Array.isArray(settings.values)) fail("values must be a list");
    if (type !== "terms") {
        const [min, max] = [settings.min ?? null, settings.max ?? null];
        if (type === "integer" && ![min, max].every((value) => value === null || Number.isInteger(value))) fail("min and max must be integers.");
        if (min !== null && max !== null && (min as number) >= (max as number)) fail("min must be less than max.");
    }
    return {...property, name: property.name.toLowerCase().replace(/ /gu, "_")};
}

function validateSettings(settings: LoadedDataset["settings"]): void {
    if (settings.fields.length === 0 || settings.questions.length === 0) fail("Fields and questions are required");
    const seen = new Set<string>();
    for (const property of [...settings.fields, ...settings.questions, ...settings.vectors, ...settings.metadata]) {
        const name = property.name as string;
        if (seen.has(name)) fail(`names of dataset settings must be unique, but the name '${name}' is used twice`);
        seen.add(name);
    }
}

const SUGGESTION_KEYS = new Set(["value", "score", "agent", "type"]);
const RESPONSE_KEYS = new Set(["value", "user_id", "status"]);

function recordsFromJson(data: unknown, settings: LoadedDataset["settings"]): Obj[] {
    if (!Array.isArray(data)) fail("records.json must hold a list of records");
    const questions = new Map(settings.questions.map((question) => [question.name as string, question]));
    const fields = new Map(settings.fields.map((field) => [field.name as string, field]));
    const metadata = new Map(settings.metadata.map((property) => [property.name as string, property]));
    return (data as unknown[]).map((item, i) => {
        const record = object(item, `records.json record ${i}`);
        const where = `record ${String(record.id ?? i)}`;
        const recordFields = object(record.fields ?? {}, `${where} fields`);
        const suggestions = object(record.suggestions ?? {}, `${where} suggestions`);
        const responses = object(record.responses ?? {}, `${where} responses`);
        object(record.metadata ?? {}, `${where} metadata`);
        object(record.vectors ?? {}, `${where} vectors`);
        if (Object.keys(recordFields).length === 0 && (record.id === undefined || record.id === null))
            fail(`${where}: If fields are an empty dictionary, an id must be provided.`);
        for (const [name, value] of Object.entries(recordFields)) {
            if (value !== null && typeof value !== "string") fail(`${where}: field ${name} must be a str or None`);
            if (!fields.has(name)) fail(`${where}: field ${name} is not a field of the settings`);
        }
        for (const [name, field] of fields)
            if (field.required !== false && (typeof recordFields[name] !== "string" || recordFields[name] === ""))
                fail(`${where}: required field ${name} is missing`);
        for (const [name, suggestion] of Object.entries(suggestions))
            checkSuggestion(where, name, object(suggestion, `${where} suggestion ${name}`), questions);
        for (const [name, list] of Object.entries(responses)) {
            if (!Array.isArray(list)) fail(`${where}: responses.${name} must be a list`);
            for (const response of list as unknown[]) checkResponse(where, name, object(response, `${where} response ${name}`), questions);
        }
        for (const [name, value] of Object.entries((record.metadata as Obj | undefined) ?? {})) checkMetadata(where, name, value, metadata);
        return record;
    });
}

function checkSuggestion(where: string, name: string, suggestion: Obj, questions: Map<string, Obj>): void {
    for (const key of Object.keys(suggestion)) if (!SUGGESTION_KEYS.has(key)) fail(`${where}: Suggestion() got an unexpected keyword argument '${key}'`);
    if (suggestion.value === undefined || suggestion.value === null) fail(`${where}: suggestion ${name}: value is required`);
    const question = questions.get(name);
    if (question === undefined) fail(`${where}: Record suggestion is invalid because question with name=${name} does not exist in the dataset`);
    checkValue(`${where}: suggestion ${name}`, question!, suggestion.value);
}

function checkResponse(where: string, name: string, response: Obj, questions: Map<string, Obj>): void {
    for (const key of Object.keys(response)) if (!RESPONSE_KEYS.has(key)) fail(`${where}: Response() got an unexpected keyword argument '${key}'`);
    if (response.value === undefined || response.value === null) fail(`${where}: response ${name}: value is required`);
    if (response.user_id === undefined || response.user_id === null) fail(`${where}: response ${name}: user_id is required`);
    if (response.status !== undefined && response.status !== null && !["draft", "submitted", "discarded"].includes(response.status as string))
        fail(`${where}: response ${name}: status`);
    if (!questions.has(name)) fail(`${where}: response to ${name}, which is not a question of the settings`);
}

function checkValue(where: string, question: Obj, value: unknown): void {
    const settings = question.settings as Obj;
    const options = Array.isArray(settings.options) ? (settings.options as Obj[]).map((option) => option.value) : [];
    if (settings.type === "label_selection" && !options.includes(value)) fail(`${where}: ${JSON.stringify(value)} is not an option`);
    if (settings.type === "rating" && !options.includes(value)) fail(`${where}: ${JSON.stringify(value)} is not a rating option`);
    if (settings.type === "text" && typeof value !== "string") fail(`${where}: a text question takes a str`);
}

function checkMetadata(where: string, name: string, value: unknown, metadata: Map<string, Obj>): void {
    const property = metadata.get(name);
    if (property === undefined) return; // allow_extra_metadata
    const settings = property.settings as Obj;
    if (property.type === "terms" && Array.isArray(settings.values) && !settings.values.includes(value))
        fail(`${where}: metadata ${name} ${JSON.stringify(value)} is not one of its terms`);
    if (property.type === "integer" && !Number.isInteger(value)) fail(`${where}: metadata ${name} must be an integer`);
    if (property.type === "float" && typeof value !== "number") fail(`${where}: metadata ${name} must be a number`);
}

function readJson(file: string): unknown {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

function object(value: unknown, where: string): Obj {
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${where} must be a dict`);
    return value as Obj;
}

function fail(message: string): never {
    throw new FromDiskError(message);
}
