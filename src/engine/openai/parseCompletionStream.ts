import type {ParsedCompletion} from "./parseCompletion.js";
import {logprobsOfChoice} from "./logprobsOfChoice.js";

/**
 * Reads a whole `text/event-stream` answer (`stream: true` with `stream_options.include_usage`): the text is the
 * concatenation of `delta.content` (chat) or `text` (completions), the finish reason comes from the last choice,
 * usage from the final usage chunk. An error chunk after the 200 (vLLM sends `data: {"error": {...}}` when the
 * engine fails mid-generation) or a stream cut before its finish reason is described instead, to be retried.
 */
export function parseCompletionStream(body: string): ParsedCompletion | {malformed: string} {
    let text = "";
    let finishReason: string | null = null;
    let promptTokens: number | null = null;
    let completionTokens: number | null = null;
    let done = false;
    // the chunks' log-probability entries, decoded together at the end (a character's bytes may span chunks)
    const content: unknown[] = [];
    const tokens: unknown[] = [];
    const tokenLogprobList: unknown[] = [];
    for (const line of body.split(/\r?\n/u)) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") {
            done = true;
            break;
        }
        let chunk: Record<string, unknown>;
        try {
            chunk = JSON.parse(data) as Record<string, unknown>;
        } catch {
            return {malformed: `stream chunk is not JSON (${JSON.stringify(data.slice(0, 60))})`};
        }
        const error = chunk.error as {message?: unknown} | string | undefined;
        if (error !== undefined && error !== null) {
            const message = typeof error === "string" ? error : typeof error.message === "string" ? error.message : JSON.stringify(error);
            return {malformed: `error chunk in the stream after HTTP 200: ${message}`};
        }
        const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as Record<string, unknown> | undefined) : undefined;
        if (choice !== undefined) {
            const delta = choice.delta as {content?: unknown} | undefined;
            const piece = delta !== undefined ? delta.content : choice.text;
            if (typeof piece === "string") text += piece;
            if (typeof choice.finish_reason === "string") finishReason = choice.finish_reason;
            const logprobs = choice.logprobs as {content?: unknown; tokens?: unknown; token_logprobs?: unknown} | null | undefined;
            if (Array.isArray(logprobs?.content)) content.push(...logprobs.content);
            if (Array.isArray(logprobs?.tokens) && Array.isArray(logprobs.token_logprobs)) {
                tokens.push(...logprobs.tokens);
                tokenLogprobList.push(...logprobs.token_logprobs);
            }
        }
        const usage = chunk.usage as {prompt_tokens?: unknown; completion_tokens?: unknown} | undefined | null;
        if (usage != null) {
            if (typeof usage.prompt_tokens === "number") promptTokens = usage.prompt_tokens;
            if (typeof usage.completion_tokens === "number") completionTokens = usage.completion_tokens;
        }
    }
    if (finishReason === null) return {malformed: done ? "stream ended without a finish reason" : "stream cut before its end"};
    const tokenLogprobs =
        content.length > 0
            ? logprobsOfChoice({logprobs: {content}})
            : tokens.length > 0
              ? logprobsOfChoice({logprobs: {tokens, token_logprobs: tokenLogprobList}})
              : undefined;
    return {
        text,
        finishReason: finishReason === "length" ? "length" : "stop",
        promptTokens,
        completionTokens,
        ...(tokenLogprobs !== undefined ? {tokenLogprobs} : {})
    };
}
