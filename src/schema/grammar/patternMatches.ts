import {safeRegExp} from "../safeRegExp.js";

type CompiledPattern = {test: (text: string) => boolean};

const compiled = new Map<string, CompiledPattern | null>();

/**
 * Whether `text` matches the JSON Schema `pattern`, with the engine ajv validates with (safeRegExp); false for a
 * pattern that does not compile. Each pattern is compiled once.
 */
export function patternMatches(pattern: string, text: string): boolean {
    let re = compiled.get(pattern);
    if (re === undefined) {
        try {
            re = safeRegExp(pattern, "u");
        } catch {
            re = null;
        }
        compiled.set(pattern, re);
    }
    return re?.test(text) === true;
}
