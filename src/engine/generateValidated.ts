import type {AnswerSchema} from "../schema/AnswerSchema.js";
import type {WorkerResult} from "./WorkerProtocol.js";

/** One generation attempt, as a backend reports it. */
export type AttemptOutput = {
    text: string,
    finishReason: "stop" | "length",
    /** Prompt tokens of this attempt; null keeps the count known so far. */
    promptTokens: number | null,
    generatedTokens: number,
    /** Milliseconds to the first token, or -1 when the backend cannot tell. */
    firstTokenMs: number
};

/** The backend refused the request for good (the row fails at the generate stage with this reason). */
export type AttemptRefused = {refused: string};

export type GenerateValidatedOptions = {
    idx: number,
    answerSchema: AnswerSchema,
    retriesInvalid: number,
    maxTokens: number,
    /** Prompt tokens before any attempt reports its own count. */
    promptTokens: number,
    /** Runs attempt number `attempt` (0-based); each attempt must sample differently (see samplingForAttempt). */
    attempt: (attempt: number) => Promise<AttemptOutput | AttemptRefused>
};

/**
 * The answer loop every backend shares: generate, then accept free text as is, or parse and validate against the
 * schema; a truncated or invalid answer is retried up to `retriesInvalid` times, then the row fails with the last
 * reason.
 */
export async function generateValidated(options: GenerateValidatedOptions): Promise<WorkerResult> {
    const {idx, answerSchema} = options;
    let promptTokens = options.promptTokens;
    let completionTokens = 0;
    let firstTokenMs = -1;
    let response = "";
    let finishReason: "stop" | "length" = "stop";
    let reason = "";
    const maxAttempts = answerSchema.isFreeText ? 1 : 1 + options.retriesInvalid;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const output = await options.attempt(attempt);
        if ("refused" in output) {
            return {
                idx, ok: false, annotation: null, response, finishReason, promptTokens, completionTokens, attempts: attempt + 1,
                firstTokenMs: -1, reason: output.refused, stage: "generate"
            };
        }
        if (firstTokenMs < 0) firstTokenMs = output.firstTokenMs;
        promptTokens = output.promptTokens ?? promptTokens;
        completionTokens += output.generatedTokens;
        response = output.text;
        finishReason = output.finishReason;
        const result = {idx, response, finishReason, promptTokens, completionTokens, attempts: attempt + 1, firstTokenMs};
        if (answerSchema.isFreeText) return {...result, ok: true, annotation: response, reason: null};
        if (finishReason === "length") {
            reason = `answer truncated at maxTokens (${options.maxTokens}); raise --max-tokens`;
            continue;
        }
        const check = answerSchema.check(response);
        if (check.ok) return {...result, ok: true, annotation: check.value, reason: null};
        reason = check.reason;
    }
    return {
        idx, ok: false, annotation: null, response, finishReason, promptTokens, completionTokens, attempts: maxAttempts, firstTokenMs,
        reason: `${reason} (after ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"})`, stage: "validate"
    };
}
