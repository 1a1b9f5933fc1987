import {CharSet} from "./CharSet.js";
import {alt, seq, type Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";
import {jsonCharExpression} from "./jsonChars.js";
import type {RegexNode} from "./parseRegex.js";

/** Most (NFA state, length) pairs one bounded regex may expand to. */
const maxProductStates = 40000;

type Nfa = {edges: {from: number; set: CharSet; to: number}[][]; epsilon: number[][]; start: number; accept: number};

/**
 * A regex (anchors already removed) intersected with a length range: the regex becomes a Thompson NFA, its
 * states are paired with the number of characters written so far (0..maxLength), and every pair becomes a rule
 * (epsilon moves folded in, so the grammar has no empty cycles). Returns undefined when the product would be
 * too large.
 */
export function boundedRegexGrammar(node: RegexNode, minLength: number, maxLength: number, builder: GrammarBuilder): Gbnf | undefined {
    const nfa = buildNfa(node, maxLength);
    if (nfa === undefined || nfa.edges.length * (maxLength + 1) > maxProductStates) return undefined;
    const closures = nfa.edges.map((_, state) => closure(nfa, state));
    const memo = new Map<string, Gbnf>();
    const visit = (states: number[], count: number): Gbnf => {
        const key = `${states.join(",")}|${count}`;
        if (memo.has(key)) return memo.get(key)!;
        builder.check();
        const options: Gbnf[] = [];
        if (count >= minLength && states.includes(nfa.accept)) options.push("");
        if (count < maxLength) {
            // group the moves by target state set: one alternative per distinct continuation
            const byTarget = new Map<number, CharSet>();
            for (const state of states) for (const edge of nfa.edges[state]!) byTarget.set(edge.to, (byTarget.get(edge.to) ?? CharSet.empty).union(edge.set));
            for (const [to, set] of byTarget) {
                const next = visit(closures[to]!, count + 1);
                if (next !== null) options.push(seq(jsonCharExpression(set, builder), next));
            }
        }
        const body = alt(options);
        const result = body === null || body === "" ? body : builder.rule("bounded", body);
        memo.set(key, result);
        return result;
    };
    return visit(closures[nfa.start]!, 0);
}

function closure(nfa: Nfa, state: number): number[] {
    const seen = new Set([state]);
    const stack = [state];
    while (stack.length > 0) {
        for (const next of nfa.epsilon[stack.pop()!]!) {
            if (!seen.has(next)) {
                seen.add(next);
                stack.push(next);
            }
        }
    }
    return [...seen].sort((a, b) => a - b);
}

/** Thompson construction; repetitions beyond `limit` characters are cut (the length bound makes them useless). */
function buildNfa(root: RegexNode, limit: number): Nfa | undefined {
    const edges: Nfa["edges"] = [];
    const epsilon: number[][] = [];
    const state = () => {
        edges.push([]);
        epsilon.push([]);
        return edges.length - 1;
    };
    let budget = maxProductStates;
    const build = (node: RegexNode, from: number): number => {
        if (--budget < 0) throw new RangeError("regex too large");
        switch (node.kind) {
            case "chars": {
                const to = state();
                edges[from]!.push({from, set: node.set, to});
                return to;
            }
            case "start":
            case "end":
                return from;
            case "seq":
                return node.items.reduce((at, item) => build(item, at), from);
            case "alt": {
                const end = state();
                for (const option of node.options) epsilon[build(option, from)]!.push(end);
                return end;
            }
            case "repeat": {
                let at = from;
                const required = Math.min(node.min, limit + 1);
                for (let i = 0; i < required; i++) at = build(node.node, at);
                if (node.max === Infinity) {
                    const loop = state();
                    epsilon[at]!.push(loop);
                    epsilon[build(node.node, loop)]!.push(loop);
                    return loop;
                }
                const end = state();
                epsilon[at]!.push(end);
                const optional = Math.min(node.max, limit) - required;
                for (let i = 0; i < optional; i++) {
                    at = build(node.node, at);
                    epsilon[at]!.push(end);
                }
                return end;
            }
        }
    };
    try {
        const start = state();
        const accept = build(root, start);
        return {edges, epsilon, start, accept};
    } catch (err) {
        if (err instanceof RangeError) return undefined;
        throw err;
    }
}
