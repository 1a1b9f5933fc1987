import type {TokenLogprob} from "../confidence/TokenLogprob.js";
import {logprobsOfChoice} from "./logprobsOfChoice.js";

/** The parts of a (non-streaming) chat or completions response airlabel uses. */
export type ParsedCompletion = {
    text: string;
    finishReason: "stop" | "length";
    /** From `usage`; null when the server sends none. */
    promptTokens: number | null;
    completionTokens: number | null;
    /** The generated tokens' log-probabilities, where the response has them (requests with `logprobs`). */
    tokenLogprobs?: TokenLogprob[];
};

/** An OpenAI-style error body, `{"error": {message, type, param, code}}` (or vLLM's older flat `{message, type, param, code}`). */
export type ServerErrorBody = {message: string; type: string | null; param: string | null; code: string | number | null};

/** Reads a 200 response body; returns a description of what is wrong instead when it is not a usable completion. */
export function parseCompletion(body: string): ParsedCompletion | {malformed: string} {
    let json: unknown;
    try {
        json = JSON.parse(body);
    } catch {
        return {malformed: `response body is not JSON (${body.length} bytes${body.length > 0 ? `, starts ${JSON.stringify(body.slice(0, 60))}` : ""})`};
    }
    const record = asRecord(json);
    const error = parseServerError(body);
    if (record === null) return {malformed: "response body is not a JSON object"};
    const choice = Array.isArray(record.choices) ? asRecord(record.choices[0]) : null;
    if (choice === null) return {malformed: error !== null ? `error in a 200 response: ${error.message}` : "response has no choices"};
    const message = asRecord(choice.message);
    const content = message !== null ? message.content : choice.text;
    if (typeof content !== "string" && content !== null && content !== undefined) return {malformed: "the choice's content is not text"};
    const usage = asRecord(record.usage);
    const tokenLogprobs = logprobsOfChoice(choice);
    const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null);
    return {
        text: typeof content === "string" ? content : "",
        finishReason: choice.finish_reason === "length" ? "length" : "stop",
        promptTokens: count(usage?.prompt_tokens),
        completionTokens: count(usage?.completion_tokens),
        ...(tokenLogprobs !== undefined ? {tokenLogprobs} : {})
    };
}

/** The error a server described in its body, or null when the body is not an error object. */
export function parseServerError(body: string): ServerErrorBody | null {
    let json: unknown;
    try {
        json = JSON.parse(body);
    } catch {
        return null;
    }
    const record = asRecord(json);
    if (record === null) return null;
    const inner = asRecord(record.error) ?? (typeof record.message === "string" ? record : null);
    if (inner === null) {
        if (typeof record.error === "string") return {message: record.error, type: null, param: null, code: null};
        if (typeof record.detail === "string") return {message: record.detail, type: null, param: null, code: null};
        return null;
    }
    const text = (value: unknown) => (typeof value === "string" ? value : null);
    return {
        message: typeof inner.message === "string" ? inner.message : JSON.stringify(inner.message ?? null),
        type: text(inner.type),
        param: text(inner.param),
        code: typeof inner.code === "string" || typeof inner.code === "number" ? inner.code : null
    };
}

function asRecord(value: unknown): Record<string, unknown> | null {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
