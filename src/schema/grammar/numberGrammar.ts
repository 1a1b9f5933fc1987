import {CharSet} from "./CharSet.js";
import {ceilInteger, compareDecimal, floorInteger, isZero, negate, toDecimal, type Decimal} from "./decimal.js";
import {alt, charClass, literal, optional, seq, type Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";

export type NumberBound = {value: number; exclusive: boolean};

export type NumberGrammarOptions = {
    integer: boolean;
    minimum?: NumberBound;
    maximum?: NumberBound;
    /** An integer multipleOf (> 1) to encode, if any. */
    multipleOf?: number;
    /** Most integer digits when no bound needs more. */
    intDigits: number;
    /** Most fraction digits (numbers only). */
    fracDigits: number;
};

export type NumberGrammar = {expr: Gbnf; multipleOfEnforced: boolean};

/** A run of digits, one digit set per position: [lo, hi] inclusive. */
type DigitPattern = [number, number][];

/** Rule budget for a multipleOf automaton (positions x remainders). */
const maxModuloStates = 4000;

/**
 * GBNF for JSON numbers in a range: canonical integers (no leading zeros, no "-0"), and for numbers an
 * optional fraction, never an exponent. Bounds are exact decimals, so `0 <= x <= 1` allows 0, 0.5, 1, 1.0
 * and nothing else; `multipleOf` (an integer) is encoded with a remainder automaton.
 */
export function numberGrammar(builder: GrammarBuilder, options: NumberGrammarOptions): NumberGrammar {
    const lower = options.minimum === undefined ? undefined : {d: toDecimal(options.minimum.value), exclusive: options.minimum.exclusive};
    const upper = options.maximum === undefined ? undefined : {d: toDecimal(options.maximum.value), exclusive: options.maximum.exclusive};
    const boundDigits = Math.max(lower?.d.int.length ?? 0, upper?.d.int.length ?? 0);
    const intDigits = Math.max(options.intDigits, boundDigits + 1);
    const largest = 10n ** BigInt(intDigits) - 1n;
    if (options.integer || options.multipleOf !== undefined) {
        let lo = lower === undefined ? -largest : ceilInteger(lower.d, lower.exclusive);
        let hi = upper === undefined ? largest : floorInteger(upper.d, upper.exclusive);
        if (lo < -largest) lo = -largest;
        if (hi > largest) hi = largest;
        return integerGrammar(builder, lo, hi, options.multipleOf);
    }
    const fracDigits = Math.max(options.fracDigits, (lower?.d.frac.length ?? 0) + 1, (upper?.d.frac.length ?? 0) + 1);
    if (lower === undefined && upper === undefined) {
        const body = `"-"? ("0" | [1-9] ${builder.repeat("[0-9]", 0, intDigits - 1)}) ("." ${builder.repeat("[0-9]", 1, fracDigits)})?`;
        return {expr: builder.rule("number", body), multipleOfEnforced: true};
    }
    if (lower !== undefined && upper !== undefined) {
        const order = compareDecimal(lower.d, upper.d);
        if (order > 0 || (order === 0 && (lower.exclusive || upper.exclusive))) return {expr: null, multipleOfEnforced: true};
    }
    const zero = toDecimal(0);
    const fractions = new FractionGrammar(builder, fracDigits);
    const limits = {largest, fractions};
    const parts: Gbnf[] = [];
    // negative numbers: magnitudes in (0 or -upper, -lower]
    if (lower === undefined || lower.d.negative) {
        const magLo = upper?.d.negative === true ? {d: negate(upper.d), exclusive: upper.exclusive} : {d: zero, exclusive: true};
        parts.push(
            seq(literal("-"), nonNegativeDecimal(builder, limits, magLo, lower === undefined ? null : {d: negate(lower.d), exclusive: lower.exclusive}))
        );
    }
    if (upper === undefined || (!upper.d.negative && !(isZero(upper.d) && upper.exclusive))) {
        const from = lower === undefined || lower.d.negative ? {d: zero, exclusive: false} : lower;
        parts.push(nonNegativeDecimal(builder, limits, from, upper ?? null));
    }
    const expr = alt(parts);
    return {expr: expr === null ? null : builder.rule("number", expr), multipleOfEnforced: true};
}

type Bound = {d: Decimal; exclusive: boolean};

/** Non-negative decimals in [lo, hi] (each bound possibly exclusive; hi null: up to the digit limit). */
function nonNegativeDecimal(builder: GrammarBuilder, limits: {largest: bigint; fractions: FractionGrammar}, lo: Bound, hi: Bound | null): Gbnf {
    const {fractions} = limits;
    const loInt = BigInt(lo.d.int);
    const parts: Gbnf[] = [];
    if (hi !== null && loInt === BigInt(hi.d.int)) {
        parts.push(seq(literal(lo.d.int), fractions.suffix(lo.d.frac, lo.exclusive, hi.d.frac, hi.exclusive)));
    } else {
        const hiInt = hi === null ? limits.largest + 1n : BigInt(hi.d.int);
        parts.push(seq(literal(lo.d.int), fractions.suffix(lo.d.frac, lo.exclusive, null, false)));
        if (loInt + 1n <= hiInt - 1n) parts.push(seq(renderPatterns(integerPatterns(loInt + 1n, hiInt - 1n)), fractions.suffix(null, false, null, false)));
        if (hi !== null) parts.push(seq(literal(hi.d.int), fractions.suffix(null, false, hi.d.frac, hi.exclusive)));
    }
    const body = alt(parts);
    return body === null ? null : builder.rule("decimal", body);
}

/**
 * The fraction after an integer part: nothing or "." and 1..n digits, whose value 0.f lies within the given
 * bounds (remaining fraction digits of the bounds; null: no bound).
 */
class FractionGrammar {
    private readonly _builder: GrammarBuilder;
    private readonly _digits: number;
    private readonly _memo = new Map<string, {empty: boolean; nonEmpty: Gbnf}>();

    public constructor(builder: GrammarBuilder, digits: number) {
        this._builder = builder;
        this._digits = digits;
    }

    public suffix(lo: string | null, loExclusive: boolean, hi: string | null, hiExclusive: boolean): Gbnf {
        const state = this.state(lo, loExclusive, hi, hiExclusive, this._digits);
        const dotted = seq(literal("."), state.nonEmpty);
        if (state.empty) return optional(dotted);
        return dotted;
    }

    private state(lo: string | null, loEx: boolean, hi: string | null, hiEx: boolean, n: number): {empty: boolean; nonEmpty: Gbnf} {
        if (lo === "" && !loEx) lo = null;
        if (hi === "" && hiEx) return {empty: false, nonEmpty: null};
        const empty = lo === null;
        if (n === 0) return {empty, nonEmpty: null};
        if (lo === null && hi === null) return {empty: true, nonEmpty: this._builder.repeat("[0-9]", 1, n)};
        const key = `${lo}|${loEx}|${hi}|${hiEx}|${n}`;
        const known = this._memo.get(key);
        if (known !== undefined) return known;
        const byNext = new Map<string, number[]>();
        for (let c = 0; c <= 9; c++) {
            let nextLo: string | null = null;
            if (lo !== null) {
                const l0 = lo === "" ? 0 : Number(lo[0]);
                if (c < l0) continue;
                nextLo = c > l0 ? null : lo.slice(1);
            }
            let nextHi: string | null = null;
            if (hi !== null) {
                const h0 = hi === "" ? 0 : Number(hi[0]);
                if (c > h0) continue;
                nextHi = c < h0 ? null : hi.slice(1);
            }
            const next = this.state(nextLo, loEx, nextHi, hiEx, n - 1);
            const continuation = next.empty ? optional(next.nonEmpty) : next.nonEmpty;
            if (continuation === null) continue;
            const digits = byNext.get(continuation) ?? [];
            digits.push(c);
            byNext.set(continuation, digits);
        }
        const options = [...byNext].map(([continuation, digits]) => seq(charClass(CharSet.of(digits.map((d) => [0x30 + d, 0x30 + d]))), continuation));
        const body = alt(options);
        const result = {empty, nonEmpty: body === null ? null : this._builder.rule("fraction", body)};
        this._memo.set(key, result);
        return result;
    }
}

/** Canonical integers in [lo, hi], optionally multiples of `multipleOf`. */
function integerGrammar(builder: GrammarBuilder, lo: bigint, hi: bigint, multipleOf: number | undefined): NumberGrammar {
    if (lo > hi) return {expr: null, multipleOfEnforced: true};
    const parts: [string, DigitPattern[]][] = [];
    if (lo < 0n) parts.push(["-", integerPatterns(hi < 0n ? -hi : 1n, -lo)]);
    if (hi >= 0n) parts.push(["", integerPatterns(lo > 0n ? lo : 0n, hi)]);
    if (multipleOf === undefined) {
        const expr = alt(parts.map(([sign, patterns]) => seq(literal(sign), renderPatterns(patterns))));
        return {expr: expr === null ? null : builder.rule("integer", expr), multipleOfEnforced: true};
    }
    const k = BigInt(multipleOf);
    const count = (hi - lo) / k;
    if (count <= 256n) {
        // few multiples: list them
        const values: string[] = [];
        for (let v = lo + ((k - (lo % k)) % k); v <= hi; v += k) values.push(v.toString());
        const expr = alt(values.map(literal));
        return {expr: expr === null ? null : builder.rule("multiple", expr), multipleOfEnforced: true};
    }
    const positions = parts.reduce((sum, [, patterns]) => sum + Math.max(0, ...patterns.map((p) => p.length)), 0);
    if (positions * multipleOf > maxModuloStates) {
        const expr = alt(parts.map(([sign, patterns]) => seq(literal(sign), renderPatterns(patterns))));
        return {expr: expr === null ? null : builder.rule("integer", expr), multipleOfEnforced: false};
    }
    const automaton = new ModuloAutomaton(builder, multipleOf);
    const expr = alt(parts.map(([sign, patterns]) => seq(literal(sign), alt(patterns.map((p) => automaton.match(p, 0, 0))))));
    return {expr: expr === null ? null : builder.rule("multiple", expr), multipleOfEnforced: true};
}

/** Digit patterns (one digit set per position) covering the non-negative integers in [lo, hi], no leading zeros. */
function integerPatterns(lo: bigint, hi: bigint): DigitPattern[] {
    const out: DigitPattern[] = [];
    if (lo > hi) return out;
    const loText = lo.toString();
    const hiText = hi.toString();
    for (let len = loText.length; len <= hiText.length; len++) {
        const from = len === loText.length ? loText : len === 1 ? "0" : `1${"0".repeat(len - 1)}`;
        const to = len === hiText.length ? hiText : "9".repeat(len);
        if (BigInt(from) <= BigInt(to)) sameLength(from, to, [], out);
    }
    return out;
}

/** Patterns for the fixed-length digit strings in [from, to] after `prefix`. */
function sameLength(from: string, to: string, prefix: DigitPattern, out: DigitPattern[]): void {
    if (from.length === 0) {
        out.push(prefix);
        return;
    }
    const f = Number(from[0]);
    const t = Number(to[0]);
    const restFrom = from.slice(1);
    const restTo = to.slice(1);
    if (f === t) {
        sameLength(restFrom, restTo, [...prefix, [f, f]], out);
        return;
    }
    const any = (n: number): DigitPattern => Array.from({length: n}, () => [0, 9] as [number, number]);
    const fromFull = /^0*$/u.test(restFrom);
    const toFull = /^9*$/u.test(restTo);
    const midLo = fromFull ? f : f + 1;
    const midHi = toFull ? t : t - 1;
    if (!fromFull) sameLength(restFrom, "9".repeat(restFrom.length), [...prefix, [f, f]], out);
    if (midLo <= midHi) out.push([...prefix, [midLo, midHi], ...any(restFrom.length)]);
    if (!toFull) sameLength("0".repeat(restTo.length), restTo, [...prefix, [t, t]], out);
}

function digitClass([lo, hi]: [number, number]): string {
    return lo === hi ? literal(String(lo)) : charClass(CharSet.of([[0x30 + lo, 0x30 + hi]]))!;
}

/** Plain GBNF for patterns; trailing runs of [0-9] are counted, and patterns differing only in that count merge. */
function renderPatterns(patterns: DigitPattern[]): Gbnf {
    const groups = new Map<string, number[]>();
    for (const pattern of patterns) {
        let run = 0;
        while (run < pattern.length - 1 && pattern[pattern.length - 1 - run]![0] === 0 && pattern[pattern.length - 1 - run]![1] === 9) run++;
        const head = pattern
            .slice(0, pattern.length - run)
            .map(digitClass)
            .join(" ");
        const runs = groups.get(head) ?? [];
        runs.push(run);
        groups.set(head, runs);
    }
    const options: string[] = [];
    for (const [head, runs] of groups) {
        runs.sort((a, b) => a - b);
        let start = 0;
        while (start < runs.length) {
            let end = start;
            while (end + 1 < runs.length && runs[end + 1] === runs[end]! + 1) end++;
            const min = runs[start]!;
            const max = runs[end]!;
            const tail = max === 0 ? "" : min === max ? `[0-9]{${min}}` : `[0-9]{${min},${max}}`;
            options.push([head, tail].filter((p) => p !== "").join(" "));
            start = end + 1;
        }
    }
    return alt(options);
}

/** Digit strings following a pattern whose value is a multiple of k: states (position, remainder). */
class ModuloAutomaton {
    private readonly _builder: GrammarBuilder;
    private readonly _k: number;
    private readonly _memo = new Map<string, Gbnf>();

    public constructor(builder: GrammarBuilder, k: number) {
        this._builder = builder;
        this._k = k;
    }

    public match(pattern: DigitPattern, position: number, remainder: number): Gbnf {
        if (position === pattern.length) return remainder === 0 ? "" : null;
        const suffix = pattern
            .slice(position)
            .map(([a, b]) => `${a}${b}`)
            .join(",");
        const key = `${suffix}|${remainder}`;
        if (this._memo.has(key)) return this._memo.get(key)!;
        this._memo.set(key, null);
        const [lo, hi] = pattern[position]!;
        const byNext = new Map<number, number[]>();
        for (let d = lo; d <= hi; d++) {
            const next = (remainder * 10 + d) % this._k;
            const digits = byNext.get(next) ?? [];
            digits.push(d);
            byNext.set(next, digits);
        }
        const options: Gbnf[] = [];
        for (const [next, digits] of byNext) {
            const rest = this.match(pattern, position + 1, next);
            if (rest === null) continue;
            options.push(seq(charClass(CharSet.of(digits.map((d) => [0x30 + d, 0x30 + d]))), rest));
        }
        const body = alt(options);
        const result = body === null ? null : body === "" ? "" : this._builder.rule("mod", body);
        this._memo.set(key, result);
        return result;
    }
}
