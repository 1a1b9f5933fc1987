import {CharSet} from "./CharSet.js";

/** A parsed regular expression (the subset a grammar can express: no lookaround, no backreferences). */
export type RegexNode =
    | {kind: "chars"; set: CharSet}
    | {kind: "seq"; items: RegexNode[]}
    | {kind: "alt"; options: RegexNode[]}
    | {kind: "repeat"; node: RegexNode; min: number; max: number}
    | {kind: "start"}
    | {kind: "end"};

/** The regex uses a construct a grammar cannot express (lookaround, backreference, word boundary, ...). */
export class RegexUnsupportedError extends Error {}

const digit = CharSet.of([[0x30, 0x39]]);
const word = CharSet.of([
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a]
]);
const space = CharSet.of([
    [0x09, 0x0d],
    [0x20, 0x20],
    [0xa0, 0xa0],
    [0x1680, 0x1680],
    [0x2000, 0x200a],
    [0x2028, 0x2029],
    [0x202f, 0x202f],
    [0x205f, 0x205f],
    [0x3000, 0x3000],
    [0xfeff, 0xfeff]
]);
const lineTerminators = CharSet.of([
    [0x0a, 0x0a],
    [0x0d, 0x0d],
    [0x2028, 0x2029]
]);
/** `.` without the s flag. */
const regexDot = lineTerminators.complement();

/**
 * Unicode property escapes, approximated by a subset (sound inside a positive class: every character the
 * grammar allows has the property). Negating them would not be sound and is refused.
 */
const propertySubsets: Record<string, CharSet> = {
    L: CharSet.of([
        [0x41, 0x5a],
        [0x61, 0x7a],
        [0xc0, 0xd6],
        [0xd8, 0xf6],
        [0xf8, 0x24f]
    ]),
    Letter: CharSet.of([
        [0x41, 0x5a],
        [0x61, 0x7a],
        [0xc0, 0xd6],
        [0xd8, 0xf6],
        [0xf8, 0x24f]
    ]),
    Alphabetic: CharSet.of([
        [0x41, 0x5a],
        [0x61, 0x7a]
    ]),
    Lu: CharSet.of([[0x41, 0x5a]]),
    Uppercase_Letter: CharSet.of([[0x41, 0x5a]]),
    Ll: CharSet.of([[0x61, 0x7a]]),
    Lowercase_Letter: CharSet.of([[0x61, 0x7a]]),
    N: digit,
    Nd: digit,
    Number: digit,
    Decimal_Number: digit,
    P: CharSet.chars("!\"#%&'()*,-./:;?@[\\]_{}"),
    Punctuation: CharSet.chars("!\"#%&'()*,-./:;?@[\\]_{}")
};

type ClassAtom = {set: CharSet; approximate: boolean};

/**
 * Parses a JSON Schema `pattern` (ECMA-262 syntax with the `u` flag, as ajv compiles it) into a RegexNode.
 * Throws RegexUnsupportedError for constructs no grammar can express, and SyntaxError for invalid syntax.
 */
export function parseRegex(pattern: string): RegexNode {
    const chars = [...pattern];
    let pos = 0;
    const peek = (offset = 0): string | undefined => chars[pos + offset];
    const fail = (what: string): never => {
        throw new RegexUnsupportedError(`${what} at position ${pos}`);
    };
    const syntax = (what: string): never => {
        throw new SyntaxError(`invalid regular expression /${pattern}/: ${what}`);
    };

    function parseAlternation(): RegexNode {
        const options = [parseSequence()];
        while (peek() === "|") {
            pos++;
            options.push(parseSequence());
        }
        return options.length === 1 ? options[0]! : {kind: "alt", options};
    }

    function parseSequence(): RegexNode {
        const items: RegexNode[] = [];
        while (pos < chars.length && peek() !== "|" && peek() !== ")") items.push(parseQuantified());
        return items.length === 1 ? items[0]! : {kind: "seq", items};
    }

    function parseQuantified(): RegexNode {
        let node = parseAtom();
        for (;;) {
            const c = peek();
            let min: number;
            let max: number;
            if (c === "*") [min, max] = [0, Infinity];
            else if (c === "+") [min, max] = [1, Infinity];
            else if (c === "?") [min, max] = [0, 1];
            else if (c === "{" && /^\{\d+(,\d*)?\}/u.test(chars.slice(pos, pos + 24).join(""))) {
                const text = /^\{(\d+)(,(\d*))?\}/u.exec(chars.slice(pos, pos + 24).join(""))!;
                min = Number(text[1]);
                max = text[2] === undefined ? min : text[3] === "" ? Infinity : Number(text[3]);
                if (max < min) syntax("numbers out of order in {} quantifier");
                pos += text[0].length - 1;
            } else break;
            pos++;
            if (peek() === "?") pos++; // lazy: same language
            if (node.kind === "start" || node.kind === "end") fail("quantified anchor");
            node = {kind: "repeat", node, min, max};
        }
        return node;
    }

    function parseAtom(): RegexNode {
        const c = peek()!;
        pos++;
        switch (c) {
            case "^":
                return {kind: "start"};
            case "$":
                return {kind: "end"};
            case ".":
                return {kind: "chars", set: regexDot};
            case "[":
                return {kind: "chars", set: parseClass()};
            case "(": {
                if (peek() === "?") {
                    if (peek(1) === ":") pos += 2;
                    else if (peek(1) === "<" && peek(2) !== "=" && peek(2) !== "!") {
                        while (pos < chars.length && peek() !== ">") pos++;
                        pos++;
                    } else fail("lookaround");
                }
                const inner = parseAlternation();
                if (peek() !== ")") syntax("unterminated group");
                pos++;
                return inner;
            }
            case ")":
                return syntax("unmatched )");
            case "*":
            case "+":
            case "?":
                return syntax("nothing to repeat");
            case "\\":
                return parseEscape();
            default:
                return {kind: "chars", set: CharSet.char(c.codePointAt(0)!)};
        }
    }

    function parseEscape(): RegexNode {
        const c = peek();
        if (c === undefined) return syntax("\\ at end of pattern");
        if (c === "b" || c === "B") fail("word boundary");
        if (/[1-9]/u.test(c) || c === "k") fail("backreference");
        const atom = parseClassEscape(false);
        return {kind: "chars", set: atom.set};
    }

    /** After a backslash; `inClass` changes the meaning of \b (backspace) and \-. */
    function parseClassEscape(inClass: boolean): ClassAtom {
        const c = peek()!;
        pos++;
        const exact = (set: CharSet): ClassAtom => ({set, approximate: false});
        switch (c) {
            case "d":
                return exact(digit);
            case "D":
                return exact(digit.complement());
            case "w":
                return exact(word);
            case "W":
                return exact(word.complement());
            case "s":
                return exact(space);
            case "S":
                return exact(space.complement());
            case "t":
                return exact(CharSet.char(9));
            case "n":
                return exact(CharSet.char(10));
            case "v":
                return exact(CharSet.char(11));
            case "f":
                return exact(CharSet.char(12));
            case "r":
                return exact(CharSet.char(13));
            case "0":
                return exact(CharSet.char(0));
            case "b":
                return inClass ? exact(CharSet.char(8)) : fail("word boundary");
            case "c": {
                const letter = peek();
                if (letter === undefined || !/[a-zA-Z]/u.test(letter)) return syntax("invalid \\c escape");
                pos++;
                return exact(CharSet.char(letter.codePointAt(0)! % 32));
            }
            case "x": {
                const hex = chars.slice(pos, pos + 2).join("");
                if (!/^[0-9a-fA-F]{2}$/u.test(hex)) return syntax("invalid \\x escape");
                pos += 2;
                return exact(CharSet.char(parseInt(hex, 16)));
            }
            case "u": {
                if (peek() === "{") {
                    const end = chars.indexOf("}", pos);
                    const hex = chars.slice(pos + 1, end).join("");
                    if (end < 0 || !/^[0-9a-fA-F]{1,6}$/u.test(hex)) return syntax("invalid \\u{} escape");
                    pos = end + 1;
                    return exact(CharSet.char(parseInt(hex, 16)));
                }
                const hex = chars.slice(pos, pos + 4).join("");
                if (!/^[0-9a-fA-F]{4}$/u.test(hex)) return syntax("invalid \\u escape");
                pos += 4;
                let cp = parseInt(hex, 16);
                // a surrogate pair written as two escapes is one code point
                const low = chars.slice(pos, pos + 6).join("");
                if (cp >= 0xd800 && cp <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/u.test(low)) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(low.slice(2), 16) - 0xdc00);
                    pos += 6;
                }
                return exact(CharSet.char(cp));
            }
            case "p":
            case "P": {
                const end = chars.indexOf("}", pos);
                if (peek() !== "{" || end < 0) return syntax("invalid property escape");
                const name = chars
                    .slice(pos + 1, end)
                    .join("")
                    .replace(/^(General_Category|gc|Script|sc)=/u, "");
                pos = end + 1;
                const subset = propertySubsets[name];
                if (subset === undefined) return fail(`unicode property \\${c}{${name}}`);
                if (c === "P") return fail(`negated unicode property \\P{${name}}`);
                return {set: subset, approximate: true};
            }
            default:
                // identity escapes of syntax characters (and \- inside a class)
                if (/[\^$\\.*+?()[\]{}|/-]/u.test(c)) return exact(CharSet.char(c.codePointAt(0)!));
                return syntax(`invalid escape \\${c}`);
        }
    }

    function parseClass(): CharSet {
        let negated = false;
        if (peek() === "^") {
            negated = true;
            pos++;
        }
        let set = CharSet.empty;
        let approximate = false;
        const classAtom = (): ClassAtom => {
            const c = peek();
            if (c === undefined) return syntax("unterminated character class");
            pos++;
            if (c === "\\") return parseClassEscape(true);
            return {set: CharSet.char(c.codePointAt(0)!), approximate: false};
        };
        while (peek() !== "]") {
            const from = classAtom();
            if (peek() === "-" && peek(1) !== "]" && peek(1) !== undefined) {
                pos++;
                const to = classAtom();
                const lo = from.set.single;
                const hi = to.set.single;
                if (lo === undefined || hi === undefined) return syntax("character class escape in a range");
                if (hi < lo) return syntax("range out of order in character class");
                set = set.union(CharSet.of([[lo, hi]]));
            } else {
                set = set.union(from.set);
                approximate ||= from.approximate;
            }
        }
        pos++;
        if (negated && approximate) fail("negated class with a unicode property");
        return negated ? set.complement() : set;
    }

    const node = parseAlternation();
    if (pos < chars.length) syntax("unmatched )");
    return node;
}
