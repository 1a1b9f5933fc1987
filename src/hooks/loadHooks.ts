import fs from "node:fs/promises";
import path from "node:path";
import {sha256Of} from "../files/sha256Of.js";
import {pathToFileURL} from "node:url";
import {AirlabelError} from "../AirlabelError.js";
import {hookNames, type LoadedHooks} from "./Hooks.js";
import {oneLine} from "../oneLine.js";

/** Raised when the hooks module cannot be read or imported, or exports no hook or something that is not one. */
export class HooksError extends AirlabelError {}

/**
 * Loads the user's hooks module (an ES module; path resolved against the current directory). It must export at
 * least one of `row`, `prompt`, `validate`, `parse` as functions (named exports, or one default-exported object holding
 * them), and nothing else. The module is imported by its content hash, so a changed file is imported afresh.
 */
export async function loadHooks(file: string): Promise<LoadedHooks> {
    const absolute = path.resolve(file);
    let bytes: Buffer;
    try {
        bytes = await fs.readFile(absolute);
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new HooksError(`hooks file ${file} ${code === "ENOENT" ? "not found" : `cannot be read (${code})`}; check the --hooks path`);
    }
    const sha256 = sha256Of(bytes);
    let module: Record<string, unknown>;
    try {
        module = (await import(`${pathToFileURL(absolute).href}?sha256=${sha256}`)) as Record<string, unknown>;
    } catch (err) {
        throw new HooksError(
            `hooks file ${file} cannot be imported (${oneLine(err instanceof Error ? `${err.name}: ${err.message}` : err)}); it must be an ES module (.mjs, or .js in a "type": "module" package)`
        );
    }
    const exports = exportsOf(module);
    const unknown = Object.keys(exports).filter((name) => !(hookNames as readonly string[]).includes(name));
    if (unknown.length > 0)
        throw new HooksError(
            `hooks file ${file} exports ${unknown.map((name) => `"${name}"`).join(", ")}, which ${unknown.length === 1 ? "is not a hook" : "are not hooks"}; a hooks module exports only row, prompt, validate and parse (fix the name or stop exporting it)`
        );
    const hooks: LoadedHooks = {file: absolute, sha256};
    for (const name of hookNames) {
        const value = exports[name];
        if (value === undefined) continue;
        if (typeof value !== "function")
            throw new HooksError(
                `hooks file ${file}: export "${name}" is ${describeValue(value)}, not a function; export function ${name}(${name === "prompt" || name === "row" ? "row" : "row, answer"}) {...}`
            );
        (hooks as Record<string, unknown>)[name] = value;
    }
    if (hookNames.every((name) => hooks[name] === undefined))
        throw new HooksError(
            `hooks file ${file} exports none of row, prompt, validate, parse; export at least one, e.g. export function validate(row, answer) { return true; }`
        );
    return hooks;
}

/**
 * The module's hooks: its named exports, or the properties of its default export when it has only that
 * (`export default {validate}`; a CommonJS module's `module.exports`, whose properties Node also lists by name).
 */
function exportsOf(module: Record<string, unknown>): Record<string, unknown> {
    const {default: fallback, "module.exports": _commonJs, ...named} = module;
    if (typeof fallback !== "object" || fallback === null) return fallback === undefined ? named : {...named, default: fallback};
    const inner = fallback as Record<string, unknown>;
    if (Object.keys(named).length === 0 || Object.keys(named).every((name) => inner[name] === named[name])) return {...inner};
    return {...named, default: fallback};
}

/** A short description of a value's type for messages: "a number", "null", "an array". */
export function describeValue(value: unknown): string {
    if (value === null) return "null";
    if (value === undefined) return "undefined";
    if (Array.isArray(value)) return "an array";
    const type = typeof value;
    return `${/^[aeiou]/u.test(type) ? "an" : "a"} ${type}`;
}
