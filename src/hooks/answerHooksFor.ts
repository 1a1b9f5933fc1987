import path from "node:path";
import type {AnswerHooks} from "./AnswerHooks.js";
import {callHook} from "./callHook.js";
import {hasAnswerHooks, type LoadedHooks} from "./Hooks.js";
import {describeValue} from "./loadHooks.js";

/**
 * The validate/parse hooks of a module bound to one row, in the shape the answer loop takes (see generateValidated);
 * undefined when the module has neither. `row` must be the hooks' own copy, so that what they do to it does not reach
 * the stored columns: a worker thread's task already is one (posted, so cloned); the main thread clones. In a
 * one-to-many run (`oneToMany`), parse must return a list: the row's output rows.
 */
export function answerHooksFor(hooks: LoadedHooks | null, row: Record<string, unknown>, timeoutMs: number, oneToMany = false): AnswerHooks | undefined {
    if (!hasAnswerHooks(hooks)) return undefined;
    const name = path.basename(hooks.file);
    const result: AnswerHooks = {};
    const validate = hooks.validate;
    if (validate !== undefined) {
        result.validate = async (answer) => {
            const label = `${name} validate()`;
            const outcome = await callHook(label, validate, [row, answer], timeoutMs);
            if ("error" in outcome) return outcome;
            const value = outcome.value;
            if (value === true || value === undefined) return {ok: true};
            if (value === false) return {invalid: "validate() returned false"};
            if (typeof value === "string") return {invalid: value.length > 0 ? value : "validate() returned an empty reason"};
            return {error: `${label} returned ${describeValue(value)}; return true or nothing (valid), false or a reason string (invalid)`};
        };
    }
    const parse = hooks.parse;
    if (parse !== undefined) {
        result.parse = async (answer) => {
            const label = `${name} parse()`;
            const outcome = await callHook(label, parse, [row, answer], timeoutMs);
            if ("error" in outcome) return outcome;
            const plain = plainValue(label, outcome.value);
            if (oneToMany && "value" in plain && !Array.isArray(plain.value))
                return {
                    error: `${label} returned ${describeValue(plain.value)}, not a list; in a --one-to-many run it returns the list of the row's output rows (an empty list for none)`
                };
            return plain;
        };
    }
    return result;
}

/** The value as plain JSON data (what the shards store), or why it cannot be. */
function plainValue(label: string, value: unknown): {value: unknown} | {error: string} {
    if (value === undefined) return {error: `${label} returned undefined; return the value to store as the annotation`};
    let json: string | undefined;
    try {
        json = JSON.stringify(value);
    } catch (err) {
        return {
            error: `${label} returned a value that is not JSON data (${err instanceof Error ? err.message : String(err)}); return plain objects, arrays, strings, numbers, booleans or null`
        };
    }
    if (json === undefined) return {error: `${label} returned ${describeValue(value)}; return plain JSON data`};
    return {value: JSON.parse(json) as unknown};
}
