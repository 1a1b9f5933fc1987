import {createRequire} from "node:module";

const require = createRequire(import.meta.url);
const {RE2JS} = require("re2js") as typeof import("re2js");

type RegExpLike = {test: (text: string) => boolean; toString: () => string};

/**
 * The regular-expression engine ajv uses for `pattern` and `patternProperties`: RE2 (linear time), so a pattern with
 * nested quantifiers such as `^(a+)+$` cannot hang validation on a long answer (V8's backtracking engine takes
 * exponential time there). Patterns RE2 cannot express (lookaround, backreferences) fall back to V8's RegExp.
 * `toString()` must be the pattern's own: ajv caches compiled patterns under it.
 */
export const safeRegExp = Object.assign(
    (pattern: string, flags: string): RegExpLike => {
        try {
            const re = RE2JS.compile(pattern);
            return {test: (text: string) => re.matcher(text).find(), toString: () => `/${pattern}/${flags}`};
        } catch {
            return new RegExp(pattern, flags);
        }
    },
    {code: "safeRegExp"}
);
