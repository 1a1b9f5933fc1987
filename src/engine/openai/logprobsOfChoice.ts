import type {TokenLogprob} from "../confidence/TokenLogprob.js";

/**
 * The generated tokens' texts and log-probabilities in a response choice (or a streamed chunk's choice), in the shapes
 * servers send: `logprobs.content: [{token, logprob, bytes}]` (OpenAI chat, vLLM chat, llama-server's chat and
 * completions) or `logprobs: {tokens, token_logprobs}` (OpenAI and vLLM completions). Where every entry has `bytes`,
 * the texts are decoded from them (a character split over tokens belongs to the token completing it). Undefined where
 * the choice has none.
 */
export function logprobsOfChoice(choice: Record<string, unknown>): TokenLogprob[] | undefined {
    const logprobs = choice.logprobs;
    if (typeof logprobs !== "object" || logprobs === null) return undefined;
    const record = logprobs as Record<string, unknown>;
    if (Array.isArray(record.content)) return fromContent(record.content);
    if (Array.isArray(record.tokens) && Array.isArray(record.token_logprobs)) {
        const logprobList = record.token_logprobs as unknown[];
        return (record.tokens as unknown[]).map((token, i) => ({text: typeof token === "string" ? token : "", logprob: numberOr(logprobList[i])}));
    }
    return undefined;
}

function fromContent(content: unknown[]): TokenLogprob[] {
    const entries = content.map((entry) => (typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>) : {}));
    const withBytes = entries.every((entry) => Array.isArray(entry.bytes));
    const decoder = new TextDecoder("utf-8");
    return entries.map((entry) => ({
        text: withBytes ? decoder.decode(Uint8Array.from(entry.bytes as number[]), {stream: true}) : typeof entry.token === "string" ? entry.token : "",
        logprob: numberOr(entry.logprob)
    }));
}

function numberOr(value: unknown): number {
    return typeof value === "number" && Number.isFinite(value) ? value : Number.NaN;
}
