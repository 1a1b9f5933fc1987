import type {LlamaModel, Token} from "node-llama-cpp";
import type {TokenLogprob} from "../confidence/TokenLogprob.js";

/**
 * Generated tokens with their log-probabilities, each token's text being what it adds to the detokenized answer (the
 * texts, in order, spell `model.detokenize(tokens, false)`; a character split over several tokens belongs to the
 * token that completes it).
 */
export function tokenLogprobsOf(model: LlamaModel, tokens: readonly Token[], logprobs: ArrayLike<number>): TokenLogprob[] {
    const out: TokenLogprob[] = [];
    let before = "";
    for (let i = 0; i < tokens.length; i++) {
        const text = model.detokenize(tokens.slice(0, i + 1), false);
        // an incomplete UTF-8 sequence detokenizes as U+FFFD until its last byte arrives
        const stable = text.endsWith("\uFFFD") ? commonPrefixLength(before, text) : text.length;
        const start = Math.min(before.length, commonPrefixLength(before, text));
        out.push({text: text.slice(start, Math.max(start, stable)), logprob: logprobs[i] ?? Number.NaN});
        before = text.slice(0, Math.max(start, stable));
    }
    return out;
}

function commonPrefixLength(a: string, b: string): number {
    const limit = Math.min(a.length, b.length);
    let n = 0;
    while (n < limit && a.charCodeAt(n) === b.charCodeAt(n)) n++;
    return n;
}
