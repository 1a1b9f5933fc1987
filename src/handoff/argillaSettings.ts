import type {AnswerField} from "./resolveAnswerField.js";

/*
 * Argilla 2.x settings entries as `Settings.serialize()` writes them into `.argilla/settings.json` (argilla-io/argilla,
 * argilla/src/argilla/settings/_resource.py) and `Settings._from_dict` reads them back: each entry is its pydantic
 * model's `model_dump()` plus `type` (settings/_common.py SettingsPropertyBase.serialize):
 * - fields: FieldModel (_models/_settings/_fields.py): id, inserted_at, updated_at, name, settings {type, use_markdown},
 *   title, required, description, dataset_id;
 * - questions: QuestionBaseModel (_models/_settings/_questions/_base.py): id, name, settings, title, description,
 *   required, inserted_at, updated_at; `question_from_dict` picks the class by `settings.type`;
 * - metadata: MetadataFieldModel (_models/_settings/_metadata.py): id, inserted_at, updated_at, name, settings
 *   {type, visible_for_annotators, values | min, max}, type, title, visible_for_annotators, dataset_id.
 */

/** One serialized settings entry (field, question or metadata property). */
export type ArgillaEntry = Record<string, unknown> & {name: string; type: string};

/** A text field (TextField). */
export function textField(name: string, title: string, required: boolean, description: string | null = null): ArgillaEntry {
    return {
        id: null,
        inserted_at: null,
        updated_at: null,
        name,
        settings: {type: "text", use_markdown: false},
        title,
        required,
        description,
        dataset_id: null,
        type: "text"
    };
}

function question(
    name: string,
    title: string,
    description: string | null,
    required: boolean,
    settings: Record<string, unknown> & {type: string}
): ArgillaEntry {
    return {id: null, name, settings, title, description, required, inserted_at: null, updated_at: null, type: settings.type};
}

/** A LabelQuestion: one of `labels` (LabelQuestionSettings: options [{value, text, description}], visible_options >= 3 or null). */
export function labelQuestion(name: string, title: string, description: string | null, required: boolean, labels: readonly string[]): ArgillaEntry {
    return question(name, title, description, required, {
        type: "label_selection",
        options: labels.map((label) => ({value: label, text: label, description: null})),
        visible_options: labels.length >= 3 ? labels.length : null
    });
}

/** A RatingQuestion over integer `values` (RatingQuestionSettings: options [{value}]; Argilla takes 0..10). */
export function ratingQuestion(name: string, title: string, description: string | null, required: boolean, values: readonly number[]): ArgillaEntry {
    return question(name, title, description, required, {type: "rating", options: values.map((value) => ({value}))});
}

/** A TextQuestion (free text). */
export function textQuestion(name: string, title: string, description: string | null, required: boolean): ArgillaEntry {
    return question(name, title, description, required, {type: "text", use_markdown: false});
}

/** The question for a reviewed answer field: labels and true/false as a LabelQuestion, a scale as a RatingQuestion, else text. */
export function answerQuestion(field: AnswerField, name: string, title: string, required: boolean, description: string): ArgillaEntry {
    switch (field.kind) {
        case "label":
        case "binary":
            return labelQuestion(name, title, description, required, field.kind === "binary" ? ["true", "false"] : (field.labels ?? []));
        case "rating":
            return ratingQuestion(name, title, description, required, field.values ?? []);
        case "number":
        case "text":
            return textQuestion(name, title, description, required);
    }
}

function metadataProperty(name: string, title: string, settings: Record<string, unknown> & {type: string}): ArgillaEntry {
    return {
        id: null,
        inserted_at: null,
        updated_at: null,
        name,
        settings: {...settings, visible_for_annotators: true},
        type: settings.type,
        title,
        visible_for_annotators: true,
        dataset_id: null
    };
}

/** An IntegerMetadataProperty with no bounds. */
export function integerMetadata(name: string, title: string): ArgillaEntry {
    return metadataProperty(name, title, {type: "integer", min: null, max: null});
}

/** A FloatMetadataProperty with no bounds. */
export function floatMetadata(name: string, title: string): ArgillaEntry {
    return metadataProperty(name, title, {type: "float", min: null, max: null});
}

/** A TermsMetadataProperty taking `values`. */
export function termsMetadata(name: string, title: string, values: readonly string[]): ArgillaEntry {
    return metadataProperty(name, title, {type: "terms", values: [...values]});
}

/** Argilla names: lower-case letters, digits, `_` and `-` (the server's pattern for field, question and metadata names). */
export function argillaName(name: string): string {
    const cleaned = name
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/gu, "_")
        .replace(/^_+|_+$/gu, "");
    return /[a-z0-9]/u.test(cleaned) ? cleaned : "field";
}

/** Allocates names unique across a dataset's fields, questions and metadata (Argilla's `_validate_duplicate_names`). */
export class ArgillaNames {
    readonly #used = new Set<string>();

    /** `base` made an Argilla name, with `_2`, `_3`, ... when it is taken. */
    public take(base: string): string {
        const cleaned = argillaName(base);
        let name = cleaned;
        for (let n = 2; this.#used.has(name); n++) name = `${cleaned}_${n}`;
        this.#used.add(name);
        return name;
    }

    public has(name: string): boolean {
        return this.#used.has(name);
    }
}
