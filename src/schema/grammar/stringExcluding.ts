import {CharSet} from "./CharSet.js";
import {alt, charClass, literal, seq, type Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";
import {jsonEncodeCodePoint, rawAllowed} from "./jsonChars.js";

type Trie = {terminal: boolean; children: Map<number, Trie>};

/**
 * GBNF for the content of a JSON string (unescaped characters only) that is none of `words`, at most `cap`
 * characters long (Infinity: unbounded). Used for object keys that must differ from the declared ones.
 */
export function stringExcluding(words: readonly string[], builder: GrammarBuilder, cap: number, hint = "key"): Gbnf {
    const root: Trie = {terminal: false, children: new Map()};
    for (const word of words) {
        let node = root;
        for (const ch of word) {
            const cp = ch.codePointAt(0)!;
            let next = node.children.get(cp);
            if (next === undefined) {
                next = {terminal: false, children: new Map()};
                node.children.set(cp, next);
            }
            node = next;
        }
        node.terminal = true;
    }
    const any = charClass(rawAllowed)!;
    const visit = (node: Trie, depth: number): Gbnf => {
        const left = cap - depth;
        const options: Gbnf[] = [];
        if (!node.terminal) options.push("");
        if (left >= 1) {
            const others = charClass(rawAllowed.subtract(CharSet.of([...node.children.keys()].map((cp) => [cp, cp] as const))));
            options.push(seq(others, builder.repeat(any, 0, left - 1, hint)));
            for (const [cp, child] of node.children) options.push(seq(literal(jsonEncodeCodePoint(cp)), visit(child, depth + 1)));
        }
        const body = alt(options);
        return body === null || body === "" ? body : builder.rule(hint, body);
    };
    return visit(root, 0);
}
