import type {LlamaModel, Token} from "node-llama-cpp";
import type {TokenLogprob} from "../confidence/TokenLogprob.js";

/** Tokens detokenized before each one, so that a character's bytes and a word's leading space come out as in the answer. */
const CONTEXT_TOKENS = 8;

/**
 * Generated tokens with their log-probabilities, each token's text being what it adds to the detokenized answer (the
 * texts, in order, spell `model.detokenize(tokens, false)`; a character split over several tokens belongs to the
 * token that completes it). Each token's text is the difference between detokenizing a short window ending with it
 * and the same window without it, so the work grows with the tokens (this runs between the native loop's runs).
 */
export function tokenLogprobsOf(model: LlamaModel, tokens: readonly Token[], logprobs: ArrayLike<number>): TokenLogprob[] {
    const out: TokenLogprob[] = [];
    for (let i = 0; i < tokens.length; i++) {
        const start = Math.max(0, i - CONTEXT_TOKENS);
        const before = stableText(model.detokenize(tokens.slice(start, i), false));
        const through = stableText(model.detokenize(tokens.slice(start, i + 1), false));
        const from = Math.min(before.length, commonPrefixLength(before, through));
        out.push({text: through.slice(from), logprob: logprobs[i] ?? Number.NaN});
    }
    return out;
}

/** The text without a trailing incomplete character (U+FFFD until its last byte arrives). */
function stableText(text: string): string {
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
    return text.slice(0, end);
}

function commonPrefixLength(a: string, b: string): number {
    const limit = Math.min(a.length, b.length);
    let n = 0;
    while (n < limit && a.charCodeAt(n) === b.charCodeAt(n)) n++;
    return n;
}
