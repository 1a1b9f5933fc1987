import {CharSet} from "./CharSet.js";
import {alt, charClass, literal, seq, type Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";

const shortEscapes: Record<number, string> = {0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r", 0x22: '\\"', 0x5c: "\\\\"};

/** Characters a JSON string may hold unescaped (surrogates cannot occur in text). */
export const rawAllowed = CharSet.of([
    [0x20, 0x21],
    [0x23, 0x5b],
    [0x5d, 0xd7ff],
    [0xe000, 0x10ffff]
]);

/** The JSON text of one character inside a string, as JSON.stringify writes it. */
export function jsonEncodeCodePoint(cp: number): string {
    const short = shortEscapes[cp];
    if (short !== undefined) return short;
    if (cp < 0x20) return `\\u${cp.toString(16).padStart(4, "0")}`;
    return String.fromCodePoint(cp);
}

/**
 * GBNF for one character of a JSON string's content: any character (escapes included) for `CharSet.all`,
 * else the characters of `set`, raw or with the escape JSON requires (quote, backslash, control characters).
 */
export function jsonCharExpression(set: CharSet, builder: GrammarBuilder): Gbnf {
    if (set.equals(CharSet.all)) return anyJsonChar(builder);
    const parts: Gbnf[] = [charClass(set.intersect(rawAllowed))];
    const specials = set.intersect(
        CharSet.of([
            [0, 0x1f],
            [0x22, 0x22],
            [0x5c, 0x5c]
        ])
    );
    const shortOnes: string[] = [];
    const hexLow: number[][] = [[], []];
    for (const [lo, hi] of specials.ranges) {
        for (let cp = lo; cp <= hi; cp++) {
            const short = shortEscapes[cp];
            if (short !== undefined) shortOnes.push(short);
            else hexLow[cp >> 4]!.push(cp & 15);
        }
    }
    for (const short of shortOnes) parts.push(literal(short));
    const unicode = hexLow.map((lows, high) =>
        lows.length === 0
            ? null
            : seq(
                  literal(String(high)),
                  charClass(
                      CharSet.of(
                          lows.map((l) => {
                              const c = l.toString(16).codePointAt(0)!;
                              return [c, c] as const;
                          })
                      )
                  )
              )
    );
    if (unicode.some((u) => u !== null)) parts.push(seq(literal("\\u00"), alt(unicode)));
    const expr = alt(parts);
    return expr !== null && expr.length > 48 ? builder.rule("chars", expr) : expr;
}

/** The rule for any character of a JSON string: unescaped, a short escape, or \uXXXX (no lone surrogates). */
function anyJsonChar(builder: GrammarBuilder): string {
    const hex = "[0-9a-fA-F]";
    const unicode = builder.named("json-unicode-escape", `[0-9a-cA-CefEF] ${hex}{3} | [dD] [0-7] ${hex}{2}`);
    return builder.named("json-char", `[^"\\\\\\x00-\\x1f] | "\\\\" (["\\\\/bfnrt] | "u" ${unicode})`);
}
