import {AirlabelError} from "../AirlabelError.js";

/** `--field` names no answer field, the answers are objects with several fields and none was chosen, or `--choices` does not fit. */
export class AnswerFieldError extends AirlabelError {
    public constructor(message: string) {
        super(message, {exitCode: 2});
    }
}

/**
 * What kind of answer a person reviews: one of a few labels (Argilla LabelQuestion, Prodigy choice), true/false
 * (Prodigy binary accept/reject), a small integer scale (Argilla RatingQuestion, Argilla allows 0..10), any other
 * number, or free text.
 */
export type AnswerKind = "label" | "binary" | "rating" | "number" | "text";

/** The part of each answer that is handed off for review and compared in stats. */
export interface AnswerField {
    /** Key of the annotation object holding the answer, or null when the annotation itself is the answer. */
    key: string | null;
    /** Name of the question / column: the key, or `label` (labels, binary) / `answer` (other kinds) for a bare answer. */
    name: string;
    kind: AnswerKind;
    /** The labels, in schema order (kind `label`). */
    labels?: string[];
    /** The scale's values, ascending (kind `rating`). */
    values?: number[];
    /** Where the kind came from: the JSON Schema, `--choices`, or the answers themselves (no schema given). */
    source: "schema" | "choices" | "answers";
}

/** Options of `resolveAnswerField`. */
export interface ResolveAnswerFieldOptions {
    /** The answers (annotations) of every model, failed rows left out. Required (no default). */
    annotations: readonly unknown[];
    /** The run's answer JSON Schema. Defaults to none: the kind is read from the answers. */
    schema?: Record<string, unknown> | boolean | null;
    /** The labels (as `airlabel run --choices`). Defaults to the schema's enum, or the answers' distinct values. */
    choices?: readonly string[];
    /** Key of the annotation object to review. Defaults to the only key, or the first key holding only the `choices` (when given), else labels, true/false or a scale. */
    field?: string;
}

/** Answers inferred as labels have at most this many distinct values, each given twice on average (else free text). */
const MAX_INFERRED_LABELS = 20;
/** Argilla's RatingQuestion takes integer values 0..10. */
const RATING_MIN = 0;
const RATING_MAX = 10;

/**
 * Decide which part of each answer is reviewed and what kind of question it is. Throws `AnswerFieldError`.
 */
export function resolveAnswerField(options: ResolveAnswerFieldOptions): AnswerField {
    const schema = isObject(options.schema) ? options.schema : undefined;
    const objects = options.annotations.filter(isObject);
    const objectAnswers = schemaIsObject(schema) ?? objects.length > 0;
    let key: string | null;
    let subSchema: Record<string, unknown> | undefined;
    if (!objectAnswers) {
        if (options.field !== undefined && options.field !== "annotation")
            throw new AnswerFieldError(`--field ${options.field}: the answers are not JSON objects, so there is no field to pick; leave --field out`);
        key = null;
        subSchema = schema;
    } else {
        const properties = isObject(schema?.properties) ? (schema.properties as Record<string, unknown>) : {};
        const keys = unique([...Object.keys(properties), ...objects.flatMap((object) => Object.keys(object))]);
        if (options.field !== undefined) {
            if (!keys.includes(options.field))
                throw new AnswerFieldError(
                    `--field ${options.field} is not a field of the answers (they have ${keys.length === 0 ? "none" : keys.join(", ")}); pass one of those`
                );
            key = options.field;
        } else if (keys.length === 1) {
            key = keys[0]!;
        } else {
            const choices = options.choices;
            const reviewable =
                choices !== undefined
                    ? keys.find(
                          (candidate) =>
                              objects.some((object) => candidate in object) &&
                              objects.every((object) => !(candidate in object) || choices.includes(object[candidate] as string))
                      )
                    : keys.find((candidate) => {
                          const kind = kindOf(
                              isObject(properties[candidate]) ? (properties[candidate] as Record<string, unknown>) : undefined,
                              objects.map((object) => object[candidate]),
                              undefined
                          ).kind;
                          return kind === "label" || kind === "binary" || kind === "rating";
                      });
            if (reviewable === undefined)
                throw new AnswerFieldError(
                    `the answers have several fields (${keys.join(", ")}) and none holds ${choices !== undefined ? "only the --choices labels" : "labels, true/false or a small scale"}; pass --field with the one to review`
                );
            key = reviewable;
        }
        subSchema = isObject(properties[key]) ? (properties[key] as Record<string, unknown>) : undefined;
    }
    const values = key === null ? [...options.annotations] : objects.map((object) => object[key!]);
    const resolved = kindOf(subSchema, values, options.choices);
    const name = key ?? (resolved.kind === "label" || resolved.kind === "binary" ? "label" : "answer");
    return {key, name, ...resolved};
}

/** The reviewed part of one answer (undefined when the answer lacks it). */
export function answerValueOf(annotation: unknown, field: AnswerField): unknown {
    if (field.key === null) return annotation;
    return isObject(annotation) ? annotation[field.key] : undefined;
}

/** The answer value as the text of a label (labels are strings; a rating or boolean answer is written as its JSON). */
export function labelTextOf(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function kindOf(
    schema: Record<string, unknown> | undefined,
    values: readonly unknown[],
    choices: readonly string[] | undefined
): Omit<AnswerField, "key" | "name"> {
    if (choices !== undefined) return {kind: "label", labels: [...choices], source: "choices"};
    if (schema !== undefined) {
        const fromSchema = kindFromSchema(schema);
        if (fromSchema !== undefined) return {...fromSchema, source: "schema"};
    }
    return {...kindFromAnswers(values.filter((value) => value !== null && value !== undefined)), source: "answers"};
}

function kindFromSchema(schema: Record<string, unknown>): Omit<AnswerField, "key" | "name" | "source"> | undefined {
    const enumValues = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : undefined;
    if (enumValues !== undefined) {
        if (enumValues.every((value) => typeof value === "boolean")) return {kind: "binary"};
        if (enumValues.every(isRatingValue)) return {kind: "rating", values: [...new Set(enumValues as number[])].sort((a, b) => a - b)};
        return {kind: "label", labels: unique(enumValues.map(labelTextOf))};
    }
    for (const keyword of ["oneOf", "anyOf"]) {
        const branches = schema[keyword];
        if (
            Array.isArray(branches) &&
            branches.length > 0 &&
            branches.every((branch) => isObject(branch) && "const" in branch && typeof branch.const === "string")
        )
            return {kind: "label", labels: unique(branches.map((branch) => (branch as {const: string}).const))};
    }
    const types = Array.isArray(schema.type) ? schema.type.filter((type) => type !== "null") : [schema.type];
    if (types.length !== 1) return undefined;
    const type = types[0];
    if (type === "boolean") return {kind: "binary"};
    if (type === "string") return {kind: "text"};
    if (type === "integer" || type === "number") {
        const min = lowerBound(schema);
        const max = upperBound(schema);
        if (type === "integer" && min !== undefined && max !== undefined && min >= RATING_MIN && max <= RATING_MAX && min <= max)
            return {kind: "rating", values: range(min, max)};
        return {kind: "number"};
    }
    return undefined;
}

function kindFromAnswers(values: readonly unknown[]): Omit<AnswerField, "key" | "name" | "source"> {
    if (values.length === 0) return {kind: "text"};
    if (values.every((value) => typeof value === "boolean")) return {kind: "binary"};
    if (values.every(isRatingValue)) {
        const numbers = values as number[];
        const [min, max] = [Math.min(...numbers), Math.max(...numbers)];
        // a scale needs two points at least (Argilla refuses a one-value rating question)
        if (min < max) return {kind: "rating", values: range(min, max)};
    }
    if (values.every((value) => typeof value === "number")) return {kind: "number"};
    if (values.every((value) => typeof value === "string")) {
        const distinct = unique(values as string[]);
        // labels repeat: 2 to MAX_INFERRED_LABELS short one-line values, each given twice on average (a question needs two labels)
        if (
            distinct.length >= 2 &&
            distinct.length <= MAX_INFERRED_LABELS &&
            distinct.length * 2 <= values.length &&
            distinct.every((label) => label.length > 0 && label.length <= 64 && !/[\r\n]/u.test(label))
        )
            return {kind: "label", labels: distinct.sort()};
    }
    return {kind: "text"};
}

function lowerBound(schema: Record<string, unknown>): number | undefined {
    if (typeof schema.minimum === "number") return Math.ceil(schema.minimum);
    if (typeof schema.exclusiveMinimum === "number") return Math.floor(schema.exclusiveMinimum) + 1;
    return undefined;
}

function upperBound(schema: Record<string, unknown>): number | undefined {
    if (typeof schema.maximum === "number") return Math.floor(schema.maximum);
    if (typeof schema.exclusiveMaximum === "number") return Math.ceil(schema.exclusiveMaximum) - 1;
    return undefined;
}

/** Whether the schema says the answer is an object (true), something else (false), or does not say (undefined). */
function schemaIsObject(schema: Record<string, unknown> | undefined): boolean | undefined {
    if (schema === undefined) return undefined;
    if (schema.type === "object" || isObject(schema.properties)) return true;
    if (schema.type !== undefined || Array.isArray(schema.enum) || "const" in schema) return false;
    return undefined;
}

function isRatingValue(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= RATING_MIN && value <= RATING_MAX;
}

function range(min: number, max: number): number[] {
    return Array.from({length: max - min + 1}, (_, i) => min + i);
}

function unique<T>(values: readonly T[]): T[] {
    return [...new Set(values)];
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
