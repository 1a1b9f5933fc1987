import {CharSet} from "./CharSet.js";
import type {CompilerContext} from "./CompilerContext.js";
import {literal, seq, type Gbnf} from "./gbnf.js";
import {ajvFormats, formatExamples, formatGrammar, numberFormats, unconstrainedFormats} from "./formatGrammar.js";
import {jsonCharExpression} from "./jsonChars.js";
import {RegexUnsupportedError} from "./parseRegex.js";
import {patternMatches} from "./patternMatches.js";
import {regexGrammar} from "./regexGrammar.js";
import type {SchemaNode} from "./SchemaNode.js";
import {stringExcluding} from "./stringExcluding.js";

/** What `not` excludes from a string: whole values, and characters (`not: {pattern: "[...]"}`). */
export type StringExclusions = {values: string[]; chars: CharSet};

/**
 * The grammar of a string node: a format (date, uuid, email, ...), else a pattern, else any characters; with
 * minLength/maxLength as repetition counts. Exclusions apply to plain strings only (`applied` says whether
 * they could be).
 */
export function stringGrammar(ctx: CompilerContext, node: SchemaNode, hint: string, exclusions: StringExclusions): {expr: Gbnf; applied: boolean} {
    const {builder, ledger} = ctx;
    const minLength = Math.max(0, ...node.numbers("minLength").map((e) => e.value));
    const maxLength = Math.min(Infinity, ...node.numbers("maxLength").map((e) => e.value));
    if (minLength > maxLength) return {expr: null, applied: true};
    const cap = ctx.options.maxStringLength;
    const lengthNotEnforced = (reason: string) => {
        for (const keyword of ["minLength", "maxLength"]) for (const e of node.numbers(keyword)) ledger.validatedOnly(e.path, keyword, reason);
    };

    let content: Gbnf | undefined;
    const patterns = node.all("pattern").filter((e): e is {value: string; path: string} => typeof e.value === "string");
    const formats = node.all("format").filter((e): e is {value: string; path: string} => typeof e.value === "string" && !numberFormats.has(e.value));
    // a format is preferred to a pattern when the format's values match the pattern (date + "^\d{4}-...")
    const formatFirst = formats.some(({value}) => {
        const examples = formatExamples[value];
        return examples !== undefined && patterns.every(({value: pattern}) => examples.every((example) => patternMatches(pattern, example)));
    });
    let encoded: string | undefined;
    const useFormats = () => {
        for (const {value, path} of formats) {
            if (!ajvFormats.has(value)) {
                ledger.ignored(path, "format");
                continue;
            }
            if (unconstrainedFormats.has(value)) continue;
            const grammar = content === undefined ? formatGrammar(value, builder) : undefined;
            if (grammar === undefined) {
                ledger.validatedOnly(
                    path,
                    "format",
                    encoded !== undefined ? `${encoded} is encoded instead` : `format "${value}" is not encoded in the grammar`
                );
                continue;
            }
            encoded = `format ${value}`;
            content = grammar.content;
            if (grammar.minLength < minLength || grammar.maxLength > maxLength)
                lengthNotEnforced(`format ${value} is encoded; its length is not limited further`);
        }
    };
    const usePatterns = () => {
        for (const {value, path} of patterns) {
            if (content !== undefined) {
                ledger.validatedOnly(path, "pattern", `${encoded} is encoded instead (a grammar cannot intersect two of them)`);
                continue;
            }
            try {
                const grammar = regexGrammar(value, builder, {minLength, maxLength, cap});
                content = grammar.content;
                encoded = "the pattern";
                if (!grammar.lengthEnforced) lengthNotEnforced("the pattern is encoded; the length cannot be combined with it");
            } catch (err) {
                const reason = err instanceof RegexUnsupportedError ? `the regex uses ${err.message}` : "the regex is not valid";
                ledger.validatedOnly(path, "pattern", `${reason}; not encoded in the grammar`);
            }
        }
    };
    if (formatFirst) {
        useFormats();
        usePatterns();
    } else {
        usePatterns();
        useFormats();
    }
    const hasExclusions = exclusions.values.length > 0 || !exclusions.chars.isEmpty;
    let applied = !hasExclusions;
    if (content === undefined) {
        const max = Math.min(maxLength, Math.max(minLength, cap));
        if (exclusions.values.length > 0 && exclusions.chars.isEmpty && minLength === 0 && maxLength === Infinity) {
            content = stringExcluding(exclusions.values, builder, cap, `${hint}-not`);
            applied = true;
        } else if (exclusions.values.length === 0) {
            content = builder.repeat(jsonCharExpression(CharSet.all.subtract(exclusions.chars), builder), minLength, max, "chars");
            applied = true;
        } else {
            content = builder.repeat(jsonCharExpression(CharSet.all, builder), minLength, max, "chars");
        }
    }
    if (content === null) return {expr: null, applied};
    return {expr: builder.rule(`${hint}-string`, seq(literal('"'), content, literal('"')) ?? ""), applied};
}
