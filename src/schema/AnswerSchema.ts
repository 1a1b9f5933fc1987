import {createRequire} from "node:module";
import type {ValidateFunction, ErrorObject} from "ajv";
import {AirlabelError} from "../AirlabelError.js";

const require = createRequire(import.meta.url);

/** Raised when the user's JSON Schema is not valid JSON Schema (ajv's message is included). */
export class SchemaError extends AirlabelError {}

export type AnswerCheck = {ok: true, value: unknown} | {ok: false, reason: string};

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
        return AnswerSchema.fromJsonSchema({type: "string", enum: [...choices]}, "--choices");
    }

    public static fromJsonSchema(schema: Record<string, unknown> | boolean, origin: string): AnswerSchema {
        const ajv = createAjv(schema);
        try {
            return new AnswerSchema(schema, ajv.compile(schema));
        } catch (err) {
            throw new SchemaError(`${origin} is not a valid JSON Schema: ${oneLine(err instanceof Error ? err.message : String(err))}; fix the schema file`, {cause: err});
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
            return {ok: false, reason: `answer is not valid JSON (${oneLine(err instanceof Error ? err.message : String(err))})`};
        }
        if (this._validate(value)) return {ok: true, value};
        return {ok: false, reason: `answer does not match the schema: ${formatAjvErrors(this._validate.errors ?? [])}`};
    }
}

type AjvLike = {compile(schema: unknown): ValidateFunction};

function createAjv(schema: Record<string, unknown> | boolean): AjvLike {
    const draft = typeof schema === "object" && typeof schema.$schema === "string" ? schema.$schema : "";
    const modulePath = /2020-12/u.test(draft) ? "ajv/dist/2020" : /2019-09/u.test(draft) ? "ajv/dist/2019" : "ajv";
    const AjvClass = (require(modulePath) as {default: new (options: object) => AjvLike}).default;
    const ajv = new AjvClass({allErrors: true, strict: false, validateFormats: true});
    const addFormats = (require("ajv-formats") as {default: (ajv: AjvLike) => void}).default;
    addFormats(ajv);
    return ajv;
}

function formatAjvErrors(errors: ErrorObject[]): string {
    return errors.slice(0, 3).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`).join("; ");
}

function oneLine(text: string): string {
    return text.replace(/\s+/gu, " ").trim();
}
