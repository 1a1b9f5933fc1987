import {createRequire} from "node:module";
import type {ValidateFunction, ErrorObject} from "ajv";
import {AirlabelError} from "../AirlabelError.js";
import {safeRegExp} from "./safeRegExp.js";
import {oneLine} from "../oneLine.js";

const require = createRequire(import.meta.url);

/** Raised when the user's JSON Schema is not valid JSON Schema (ajv's message is included). */
export class SchemaError extends AirlabelError {}

export type AnswerCheck = {ok: true; value: unknown} | {ok: false; reason: string};

/**
 * What an answer must be: free text, one of a few choices, or JSON matching a schema.
 * Validation uses ajv on the parsed answer; a grammar only narrows what the model can write.
 */
export class AnswerSchema {
    /** The JSON Schema the grammar is built from, or null for free text. */
    public readonly jsonSchema: Record<string, unknown> | boolean | null;
    private readonly _validate: ValidateFunction | null;

    private constructor(jsonSchema: Record<string, unknown> | boolean | null, validate: ValidateFunction | null) {
        this.jsonSchema = jsonSchema;
        this._validate = validate;
    }

    public static freeText(): AnswerSchema {
        return new AnswerSchema(null, null);
    }

    /** `choices` becomes `{"enum": [...]}`: the answer is a JSON string such as `"positive"`. */
    public static fromChoices(choices: readonly string[]): AnswerSchema {
        return AnswerSchema.fromJsonSchema(AnswerSchema.jsonSchemaOf({choices}) as Record<string, unknown>, "--choices");
    }

    /** The JSON Schema that `choices` (`{"type": "string", "enum": [...]}`) or else `schema` make; null for free text. */
    public static jsonSchemaOf(options: {schema?: Record<string, unknown> | boolean; choices?: readonly string[]}): Record<string, unknown> | boolean | null {
        if (options.choices !== undefined) return {type: "string", enum: [...options.choices]};
        return options.schema ?? null;
    }

    public static fromJsonSchema(schema: Record<string, unknown> | boolean, origin: string): AnswerSchema {
        try {
            return new AnswerSchema(schema, compileWithAjv(schema));
        } catch (err) {
            throw new SchemaError(`${origin} is not a valid JSON Schema: ${oneLine(err)}; fix the schema file`, {cause: err});
        }
    }

    public get isFreeText(): boolean {
        return this._validate === null;
    }

    /** Parses and validates one answer text. */
    public check(text: string): AnswerCheck {
        if (this._validate === null) return {ok: true, value: text};
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch (err) {
            return {ok: false, reason: `answer is not valid JSON (${oneLine(err)})`};
        }
        if (this._validate(value)) return {ok: true, value};
        return {ok: false, reason: `answer does not match the schema: ${formatAjvErrors(this._validate.errors ?? [])}`};
    }
}

type AjvLike = {compile(schema: unknown): ValidateFunction; addMetaSchema(schema: object): unknown};
type JsonSchemaDraft = "draft-04" | "draft-06" | "draft-07" | "2019-09" | "2020-12";

/**
 * Compiles with the ajv dialect that `$schema` names: drafts 2020-12, 2019-09, 07, 06 and 04 (ajv-draft-04).
 * A schema without `$schema` is read as draft-07; when that fails and the schema compiles as draft-04 (it uses
 * `id` or boolean `exclusiveMinimum`), draft-04 is used.
 */
function compileWithAjv(schema: Record<string, unknown> | boolean): ValidateFunction {
    const declared = typeof schema === "object" && typeof schema.$schema === "string" ? schema.$schema : "";
    const draft = draftOf(declared);
    try {
        return createAjv(draft).compile(schema);
    } catch (err) {
        if (declared !== "") throw err;
        try {
            return createAjv("draft-04").compile(schema);
        } catch {
            throw err;
        }
    }
}

function draftOf(declared: string): JsonSchemaDraft {
    if (/2020-12/u.test(declared)) return "2020-12";
    if (/2019-09/u.test(declared)) return "2019-09";
    if (/draft-04/u.test(declared)) return "draft-04";
    if (/draft-06/u.test(declared)) return "draft-06";
    return "draft-07";
}

function createAjv(draft: JsonSchemaDraft): AjvLike {
    const modulePath = draft === "2020-12" ? "ajv/dist/2020" : draft === "2019-09" ? "ajv/dist/2019" : draft === "draft-04" ? "ajv-draft-04" : "ajv";
    const AjvClass = (require(modulePath) as {default: new (options: object) => AjvLike}).default;
    const ajv = new AjvClass({allErrors: true, strict: false, validateFormats: true, logger: false, code: {regExp: safeRegExp}});
    if (draft === "draft-06") ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json") as object);
    const addFormats = (require("ajv-formats") as {default: (ajv: AjvLike) => void}).default;
    addFormats(ajv);
    return ajv;
}

function formatAjvErrors(errors: ErrorObject[]): string {
    return errors
        .slice(0, 3)
        .map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`)
        .join("; ");
}
