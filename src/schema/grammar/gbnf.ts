/**
 * GBNF syntax helpers. An expression is a GBNF fragment as a string; `null` stands for "no string matches"
 * (a schema that admits nothing) and `""` for the empty string. Every helper propagates `null` the way set
 * operations do: a sequence with a `null` part is `null`, an alternation drops its `null` alternatives.
 */
import type {CharSet} from "./CharSet.js";

export type Gbnf = string | null;

/** GBNF escape of one code point inside a literal or a character class. */
function escapeCodePoint(cp: number, inClass: boolean): string {
    if (cp === 0x5c) return "\\\\";
    if (cp === 0x22) return inClass ? "\\x22" : '\\"';
    if (inClass && (cp === 0x5d || cp === 0x5b || cp === 0x5e || cp === 0x2d)) return `\\x${cp.toString(16).padStart(2, "0")}`;
    if (cp === 0x0a) return "\\n";
    if (cp === 0x0d) return "\\r";
    if (cp === 0x09) return "\\t";
    if (cp >= 0x20 && cp < 0x7f) return String.fromCodePoint(cp);
    if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, "0")}`;
    if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, "0")}`;
    return `\\U${cp.toString(16).padStart(8, "0")}`;
}

/** A GBNF literal matching exactly `text` (`""` for the empty text). */
export function literal(text: string): string {
    if (text === "") return "";
    let out = '"';
    for (const ch of text) out += escapeCodePoint(ch.codePointAt(0)!, false);
    return `${out}"`;
}

/** A GBNF character class matching one code point of `set`; `null` for the empty set. */
export function charClass(set: CharSet): Gbnf {
    if (set.isEmpty) return null;
    const single = set.single;
    if (single !== undefined) return literal(String.fromCodePoint(single));
    let out = "[";
    for (const [lo, hi] of set.ranges) {
        out += escapeCodePoint(lo, true);
        if (hi > lo) out += (hi > lo + 1 ? "-" : "") + escapeCodePoint(hi, true);
    }
    return `${out}]`;
}

type Shape = {topLevelSpace: boolean; topLevelAlt: boolean; endsWithQuantifier: boolean};

/**
 * Index of the `"` or `]` closing the literal or character class that opens at `start` (escapes skipped);
 * at or past `expr.length` when it is unclosed.
 */
export function endOfLiteralOrClass(expr: string, start: number): number {
    const close = expr[start] === '"' ? '"' : "]";
    let i = start + 1;
    while (i < expr.length && expr[i] !== close) i += expr[i] === "\\" ? 2 : 1;
    return i;
}

/** Scans an expression for what lies outside literals, classes and parentheses. */
function shapeOf(expr: string): Shape {
    let depth = 0;
    let topLevelSpace = false;
    let topLevelAlt = false;
    let i = 0;
    while (i < expr.length) {
        const c = expr[i]!;
        if (c === '"' || c === "[") i = endOfLiteralOrClass(expr, i);
        else if (c === "(") depth++;
        else if (c === ")") depth--;
        else if (depth === 0 && c === " ") topLevelSpace = true;
        else if (depth === 0 && c === "|") topLevelAlt = true;
        i++;
    }
    const last = expr[expr.length - 1];
    return {topLevelSpace, topLevelAlt, endsWithQuantifier: last === "?" || last === "*" || last === "+" || last === "}"};
}

/** `expr` as one unit that a quantifier can follow. */
export function group(expr: string): string {
    const shape = shapeOf(expr);
    return shape.topLevelSpace || shape.topLevelAlt || shape.endsWithQuantifier ? `(${expr})` : expr;
}

/** The concatenation of `parts`; `null` when any part is `null`. */
export function seq(...parts: Gbnf[]): Gbnf {
    const out: string[] = [];
    for (const part of parts) {
        if (part === null) return null;
        if (part === "") continue;
        out.push(shapeOf(part).topLevelAlt ? `(${part})` : part);
    }
    return out.join(" ");
}

/** The alternation of `parts` (duplicates and `null`s dropped); `null` when none is left. */
export function alt(parts: readonly Gbnf[]): Gbnf {
    const unique = [...new Set(parts.filter((p): p is string => p !== null))];
    if (unique.length === 0) return null;
    const nonEmpty = unique.filter((p) => p !== "");
    if (nonEmpty.length === 0) return "";
    const body = nonEmpty.length === 1 ? nonEmpty[0]! : nonEmpty.join(" | ");
    return nonEmpty.length < unique.length ? optional(body) : body;
}

/** `expr` or nothing. */
export function optional(expr: Gbnf): string {
    if (expr === null || expr === "") return "";
    return `${group(expr)}?`;
}

/** Whether `expr` is a bare rule name. */
export function isRuleName(expr: string): boolean {
    return /^[a-zA-Z0-9-]+$/u.test(expr);
}
