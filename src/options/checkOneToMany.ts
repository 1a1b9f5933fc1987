import {InvalidOptionError} from "../AirlabelError.js";
import type {LoadedHooks} from "../hooks/Hooks.js";
import type {AnswerSchema} from "../schema/AnswerSchema.js";

/**
 * Refuses a one-to-many run whose answers can never be lists, before any model loads: without a parse hook (which
 * may turn any answer into a list), the answer itself must be one, so free text, `choices` and a schema whose
 * `type` leaves out "array" are refused. A schema that may give a list (`{}`, `anyOf`, ...) is checked row by row.
 */
export function checkOneToMany(
    options: {oneToMany?: boolean | undefined; choices?: string[] | undefined},
    answerSchema: AnswerSchema,
    hooks: LoadedHooks | null
): void {
    if (options.oneToMany !== true || hooks?.parse !== undefined) return;
    const fix = 'give a --schema of "type": "array" (one output row per item), or a parse hook (--hooks) that returns the list';
    if (options.choices !== undefined) throw new InvalidOptionError(`--one-to-many needs list answers, and --choices answers are single labels; ${fix}`);
    const schema = answerSchema.jsonSchema;
    if (schema === null) throw new InvalidOptionError(`--one-to-many needs list answers, and without a schema answers are free text; ${fix}`);
    const type = typeof schema === "object" ? schema.type : undefined;
    const types = typeof type === "string" ? [type] : Array.isArray(type) ? type : null;
    if (types !== null && !types.includes("array"))
        throw new InvalidOptionError(`--one-to-many needs list answers, and the schema's answers are of type ${types.join(" or ")}; ${fix}`);
}
