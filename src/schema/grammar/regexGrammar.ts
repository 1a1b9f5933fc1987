import {boundedRegexGrammar} from "./boundedRegexGrammar.js";
import {CharSet} from "./CharSet.js";
import {alt, group, literal, seq, type Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";
import {jsonCharExpression, jsonEncodeCodePoint} from "./jsonChars.js";
import {parseRegex, RegexUnsupportedError, type RegexNode} from "./parseRegex.js";

export type RegexGrammarOptions = {
    /** The string's minLength (0 when none). */
    minLength: number;
    /** The string's maxLength (Infinity when none). */
    maxLength: number;
    /** Bound for unbounded quantifiers and for the free text around an unanchored pattern (Infinity: none). */
    cap: number;
};

export type RegexGrammar = {
    /** GBNF for the string's content (between the quotes); `null` when no string can match. */
    content: Gbnf;
    /** Whether minLength/maxLength are guaranteed too (else they are left to validation). */
    lengthEnforced: boolean;
};

type Range = [number, number];
type Branch = {start: boolean; end: boolean; body: RegexNode};

const empty: RegexNode = {kind: "seq", items: []};
const freeText = (min: number, max: number): RegexNode => ({kind: "repeat", node: {kind: "chars", set: CharSet.all}, min, max});
const maxBranches = 64;

/**
 * Compiles a JSON Schema `pattern` into GBNF for the content of a JSON string: the pattern is searched, not
 * anchored (JSON Schema semantics), so an unanchored side gets free text; characters are JSON-encoded (quotes,
 * backslashes and control characters as escapes). Throws RegexUnsupportedError (lookaround, backreferences,
 * anchors in the middle) and SyntaxError (invalid pattern).
 */
export function regexGrammar(pattern: string, builder: GrammarBuilder, options: RegexGrammarOptions): RegexGrammar {
    const branches = splitAnchors(parseRegex(pattern));
    let lengthEnforced = true;
    const contents: Gbnf[] = [];
    const hasLength = options.minLength > 0 || options.maxLength !== Infinity;
    for (const branch of branches) {
        let body: RegexNode | null = branch.body;
        let before: RegexNode = branch.start ? empty : freeText(0, Infinity);
        let after: RegexNode = branch.end ? empty : freeText(0, Infinity);
        if (hasLength) {
            const fitted = branch.start && branch.end ? fitLength(body, options.minLength, options.maxLength) : "unsupported";
            if (fitted !== "unsupported") {
                if (fitted !== null) contents.push(toGbnf(fitted, builder, options.cap));
                continue;
            }
            if (options.maxLength !== Infinity) {
                const bounded = boundedRegexGrammar({kind: "seq", items: [before, body, after]}, options.minLength, options.maxLength, builder);
                if (bounded !== undefined) {
                    contents.push(bounded);
                    continue;
                }
            }
            // free text on the left only, sized so that the whole string fits the length bounds
            after = empty;
            before = empty;
            const [lo, hi] = lengthRange(body);
            if (!branch.start && hi !== Infinity && options.maxLength - hi >= Math.max(0, options.minLength - lo)) {
                before = freeText(Math.max(0, options.minLength - lo), options.maxLength - hi);
            } else {
                const refitted = fitLength(body, options.minLength, options.maxLength);
                if (refitted === "unsupported") lengthEnforced = false;
                else body = refitted;
            }
        }
        if (body === null) continue;
        contents.push(seq(toGbnf(before, builder, options.cap), toGbnf(body, builder, options.cap), toGbnf(after, builder, options.cap)));
    }
    return {content: alt(contents), lengthEnforced};
}

/** Distributes anchors to the ends of top-level branches; anchors left inside are unsupported. */
function splitAnchors(node: RegexNode): Branch[] {
    const out: Branch[] = [];
    const visit = (n: RegexNode): void => {
        if (out.length > maxBranches) throw new RegexUnsupportedError("too many anchored alternatives");
        if (n.kind === "alt") {
            for (const option of n.options) visit(option);
            return;
        }
        const items = n.kind === "seq" ? [...n.items] : [n];
        const first = items[0];
        if (first !== undefined && first.kind === "alt" && containsAnchor(first)) {
            for (const option of first.options) visit({kind: "seq", items: [option, ...items.slice(1)]});
            return;
        }
        const last = items[items.length - 1];
        if (items.length > 1 && last !== undefined && last.kind === "alt" && containsAnchor(last)) {
            for (const option of last.options) visit({kind: "seq", items: [...items.slice(0, -1), option]});
            return;
        }
        let start = false;
        let end = false;
        while (items[0]?.kind === "start") {
            items.shift();
            start = true;
        }
        while (items[items.length - 1]?.kind === "end") {
            items.pop();
            end = true;
        }
        // a nested sequence at either end (from a group) may hold the anchors
        if (items.length === 1 && items[0]!.kind === "seq") {
            const inner = items[0]!;
            const sub = splitAnchorsOfSeq(inner);
            if (sub !== null) {
                out.push({start: start || sub.start, end: end || sub.end, body: sub.body});
                return;
            }
        }
        // ^ after something non-empty, or $ before it, can never match: this branch matches nothing
        const impossible = items.some(
            (item, i) =>
                (item.kind === "start" && items.slice(0, i).some((x) => !nullable(x))) || (item.kind === "end" && items.slice(i + 1).some((x) => !nullable(x)))
        );
        if (impossible) return;
        const body: RegexNode = {kind: "seq", items};
        if (containsAnchor(body)) throw new RegexUnsupportedError("anchor inside the pattern");
        out.push({start, end, body});
    };
    visit(node);
    return out;
}

function splitAnchorsOfSeq(node: RegexNode): Branch | null {
    const branches = splitAnchors(node);
    return branches.length === 1 ? branches[0]! : null;
}

function containsAnchor(node: RegexNode): boolean {
    switch (node.kind) {
        case "start":
        case "end":
            return true;
        case "chars":
            return false;
        case "seq":
            return node.items.some(containsAnchor);
        case "alt":
            return node.options.some(containsAnchor);
        case "repeat":
            return containsAnchor(node.node);
    }
}

function hasUnbounded(node: RegexNode): boolean {
    switch (node.kind) {
        case "repeat":
            return node.max === Infinity || hasUnbounded(node.node);
        case "seq":
            return node.items.some(hasUnbounded);
        case "alt":
            return node.options.some(hasUnbounded);
        default:
            return false;
    }
}

function nullable(node: RegexNode): boolean {
    switch (node.kind) {
        case "chars":
            return false;
        case "start":
        case "end":
            return true;
        case "seq":
            return node.items.every(nullable);
        case "alt":
            return node.options.some(nullable);
        case "repeat":
            return node.min === 0 || nullable(node.node);
    }
}

/** The node's language without the empty string (null when nothing is left). */
function nonEmpty(node: RegexNode): RegexNode | null {
    switch (node.kind) {
        case "chars":
            return node.set.isEmpty ? null : node;
        case "start":
        case "end":
            return null;
        case "alt": {
            const options = node.options.map(nonEmpty).filter((o): o is RegexNode => o !== null);
            return options.length === 0 ? null : {kind: "alt", options};
        }
        case "seq": {
            // the first non-empty item decides; items before it are empty
            const options: RegexNode[] = [];
            for (let i = 0; i < node.items.length; i++) {
                const first = nonEmpty(node.items[i]!);
                if (first !== null) options.push({kind: "seq", items: [first, ...node.items.slice(i + 1)]});
                if (!nullable(node.items[i]!)) break;
            }
            return options.length === 0 ? null : options.length === 1 ? options[0]! : {kind: "alt", options};
        }
        case "repeat": {
            const inner = nonEmpty(node.node);
            if (inner === null || node.max === 0) return null;
            return {kind: "repeat", node: inner, min: 1, max: node.max};
        }
    }
}

function lengthRange(node: RegexNode): Range {
    switch (node.kind) {
        case "chars":
            return [1, 1];
        case "start":
        case "end":
            return [0, 0];
        case "seq":
            return node.items.map(lengthRange).reduce<Range>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
        case "alt": {
            const ranges = node.options.map(lengthRange);
            return [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))];
        }
        case "repeat": {
            const [lo, hi] = lengthRange(node.node);
            return [lo * node.min, hi === 0 ? 0 : hi * node.max];
        }
    }
}

/**
 * Narrows `node` so that every match has a length in [min, max]: "unsupported" when that cannot be expressed,
 * null when no match can.
 */
function fitLength(node: RegexNode, min: number, max: number): RegexNode | null | "unsupported" {
    const [lo, hi] = lengthRange(node);
    if (lo >= min && hi <= max) return node;
    if (hi < min || lo > max) return null;
    if (node.kind === "repeat") {
        const [innerLo, innerHi] = lengthRange(node.node);
        if (innerLo !== innerHi || innerLo === 0) return "unsupported";
        const from = Math.max(node.min, Math.ceil(min / innerLo));
        const to = Math.min(node.max, Math.floor(max / innerLo));
        return from > to ? null : {kind: "repeat", node: node.node, min: from, max: to};
    }
    if (node.kind === "seq") {
        const ranges = node.items.map(lengthRange);
        const variable = ranges.map((r, i) => (r[0] !== r[1] ? i : -1)).filter((i) => i >= 0);
        if (variable.length !== 1) return "unsupported";
        const index = variable[0]!;
        const fixed = ranges.reduce((sum, r, i) => (i === index ? sum : sum + r[0]), 0);
        const fitted = fitLength(node.items[index]!, min - fixed, max - fixed);
        if (fitted === null || fitted === "unsupported") return fitted;
        return {kind: "seq", items: node.items.map((item, i) => (i === index ? fitted : item))};
    }
    if (node.kind === "alt") {
        const options: RegexNode[] = [];
        for (const option of node.options) {
            const fitted = fitLength(option, min, max);
            if (fitted === "unsupported") return fitted;
            if (fitted !== null) options.push(fitted);
        }
        return options.length === 0 ? null : {kind: "alt", options};
    }
    return "unsupported";
}

function toGbnf(node: RegexNode, builder: GrammarBuilder, cap: number): Gbnf {
    switch (node.kind) {
        case "chars":
            return jsonCharExpression(node.set, builder);
        case "start":
        case "end":
            throw new RegexUnsupportedError("anchor inside the pattern");
        case "alt":
            return alt(node.options.map((o) => toGbnf(o, builder, cap)));
        case "seq": {
            const parts: Gbnf[] = [];
            let run = "";
            for (const item of node.items) {
                const single = item.kind === "chars" ? item.set.single : undefined;
                if (single !== undefined) {
                    run += jsonEncodeCodePoint(single);
                    continue;
                }
                parts.push(literal(run));
                run = "";
                parts.push(toGbnf(item, builder, cap));
            }
            parts.push(literal(run));
            return seq(...parts);
        }
        case "repeat": {
            let inner: RegexNode | null = node.node;
            let min = node.min;
            if (nullable(inner)) {
                // x{m,n} with a nullable x is (x without the empty string){0,n}: no empty loop for llama.cpp
                inner = nonEmpty(inner);
                min = 0;
            }
            if (inner === null) return "";
            // with a cap, nested unbounded quantifiers share it (the outer gets about its square root), so
            // that (x+y?)+ stays short: long matches of such patterns also make the validator's regex backtrack
            let max = node.max;
            let innerCap = cap;
            if (cap !== Infinity) {
                const nested = hasUnbounded(inner);
                if (max === Infinity) max = Math.max(min, nested ? Math.ceil(Math.sqrt(cap)) : cap);
                if (nested) innerCap = Math.max(1, Math.ceil(cap / Math.max(1, max)));
            }
            const body = toGbnf(inner, builder, innerCap);
            return builder.repeat(body === null ? null : group(body), min, max, "pattern-rep");
        }
    }
}
