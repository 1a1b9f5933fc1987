import type {AnswerSchema} from "../schema/AnswerSchema.js";
import type {EngineResult} from "./EngineTask.js";
import type {AnswerHooks} from "../hooks/AnswerHooks.js";
import {describeValue} from "../hooks/loadHooks.js";
import {answerConfidence} from "./confidence/answerConfidence.js";
import type {TokenLogprob} from "./confidence/TokenLogprob.js";
import {majorityVote} from "./confidence/majorityVote.js";

/** One generation attempt, as a backend reports it. */
export type AttemptOutput = {
    text: string;
    /** "timeout": the attempt was cut off at the time limit it was given. */
    finishReason: "stop" | "length" | "timeout";
    /** Milliseconds the attempt spent generating (not waiting for a sequence); absent: the attempt's wall time counts. */
    generationMs?: number;
    /** Prompt tokens of this attempt; null keeps the count known so far. */
    promptTokens: number | null;
    generatedTokens: number;
    /** Milliseconds to the first token, or -1 when the backend cannot tell. */
    firstTokenMs: number;
    /** Prompt tokens actually evaluated (after reusing the prefix a sequence held); absent when the backend cannot tell. */
    evaluatedPromptTokens?: number;
    /** The generated tokens' texts and log-probabilities, when the attempt was asked for them (`confidence`). */
    tokenLogprobs?: TokenLogprob[];
};

/** The backend refused the request for good (the row fails at the generate stage with this reason). */
export type AttemptRefused = {refused: string};

export type GenerateValidatedOptions = {
    idx: number;
    answerSchema: AnswerSchema;
    retriesInvalid: number;
    maxTokens: number;
    /** Prompt tokens before any attempt reports its own count. */
    promptTokens: number;
    /**
     * Runs attempt number `attempt` (0-based) of sample `sample` (0 without `samples`); each attempt must sample
     * differently (see samplingForAttempt). With a time limit, `timeLimitMs` is what is left of the row's: past it the
     * attempt ends with finishReason "timeout".
     */
    attempt: (attempt: number, timeLimitMs: number | undefined, sample: number) => Promise<AttemptOutput | AttemptRefused>;
    /** Record the answer's confidence from its tokens' log-probabilities (the attempts must return `tokenLogprobs`). Defaults to false. */
    confidence?: boolean;
    /** Self-consistency: this many answers are drawn, the majority's is kept and its vote share is the confidence. Defaults to 1. */
    samples?: number;
    /** The row's time limit in milliseconds, its attempts' generation time summed (retries included); a row past it fails (stage "generate", finishReason "timeout"). Defaults to none. */
    timeLimitMs?: number;
    /** The user's validate/parse hooks for this row. Defaults to none. */
    hooks?: AnswerHooks;
    /**
     * A one-to-many run: the stored value must be a list (its elements are the output rows). Without a parse hook, an
     * answer that is not one is invalid (retried, then failed at stage "validate"); the parse hook checks its own
     * value (see answerHooksFor). Defaults to false.
     */
    oneToMany?: boolean;
};

/**
 * The answer loop every backend shares: generate, then accept free text as is, or parse and validate against the
 * schema; a truncated or invalid answer is retried up to `retriesInvalid` times, then the row fails with the last
 * reason. With hooks, `validate` is one more check (free text included, which is then retried too) and `parse`
 * shapes the stored annotation (with `oneToMany`, a list). With `samples`, that many answers are drawn (their
 * attempts and tokens summed, the row's time limit over all of them) and the majority's is kept (see majorityVote);
 * a sample that fails validation votes for nothing, one that fails at the generate or hook stage fails the row.
 */
export async function generateValidated(options: GenerateValidatedOptions): Promise<EngineResult> {
    const samples = options.samples ?? 1;
    const clock = {spentMs: 0};
    if (samples <= 1) return await answerOnce(options, 0, clock);
    const results: EngineResult[] = [];
    for (let sample = 0; sample < samples; sample++) {
        const result = await answerOnce(options, sample, clock);
        results.push(result);
        if (!result.ok && result.stage !== "validate") break;
    }
    return voted(options, results, samples);
}

/** The samples' result: the majority's answer with the vote share as its confidence, or the last failure. */
function voted(options: GenerateValidatedOptions, results: readonly EngineResult[], samples: number): EngineResult {
    const sum = (pick: (result: EngineResult) => number | undefined): number => results.reduce((total, result) => total + (pick(result) ?? 0), 0);
    const totals = {
        completionTokens: sum((result) => result.completionTokens),
        attempts: sum((result) => result.attempts),
        firstTokenMs: results[0]!.firstTokenMs,
        ...(results.some((result) => result.evaluatedPromptTokens !== undefined) ? {evaluatedPromptTokens: sum((result) => result.evaluatedPromptTokens)} : {})
    };
    const answered = results.filter((result) => result.ok);
    const last = results.at(-1)!;
    const vote =
        last.ok || last.stage === "validate"
            ? majorityVote(
                  answered.map((result) => result.annotation),
                  options.answerSchema.jsonSchema,
                  samples
              )
            : undefined;
    if (vote === undefined) return {...last, ...totals};
    return {...answered[vote.index]!, ...totals, confidence: vote.share};
}

async function answerOnce(options: GenerateValidatedOptions, sample: number, clock: {spentMs: number}): Promise<EngineResult> {
    const {idx, answerSchema} = options;
    let promptTokens = options.promptTokens;
    let completionTokens = 0;
    let firstTokenMs = -1;
    let evaluatedPromptTokens: number | undefined;
    let response = "";
    let finishReason: EngineResult["finishReason"] = "stop";
    let reason = "";
    let tokenLogprobs: TokenLogprob[] | undefined;
    const maxAttempts = answerSchema.isFreeText && options.hooks?.validate === undefined ? 1 : 1 + options.retriesInvalid;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const limit = options.timeLimitMs;
        if (limit !== undefined && clock.spentMs >= limit)
            return timedOut(options, {idx, response, promptTokens, completionTokens, attempts: attempt, firstTokenMs});
        const attemptStart = performance.now();
        const output = await options.attempt(attempt, limit === undefined ? undefined : limit - clock.spentMs, sample);
        if ("refused" in output) {
            return {
                idx,
                ok: false,
                annotation: null,
                response,
                finishReason,
                promptTokens,
                completionTokens,
                attempts: attempt + 1,
                firstTokenMs: -1,
                reason: output.refused,
                stage: "generate"
            };
        }
        if (firstTokenMs < 0) firstTokenMs = output.firstTokenMs;
        promptTokens = output.promptTokens ?? promptTokens;
        completionTokens += output.generatedTokens;
        if (output.evaluatedPromptTokens !== undefined) evaluatedPromptTokens = (evaluatedPromptTokens ?? 0) + output.evaluatedPromptTokens;
        response = output.text;
        finishReason = output.finishReason;
        tokenLogprobs = output.tokenLogprobs;
        clock.spentMs += output.generationMs ?? performance.now() - attemptStart;
        if (finishReason === "timeout")
            return timedOut(options, {
                idx,
                response,
                promptTokens,
                completionTokens,
                attempts: attempt + 1,
                firstTokenMs,
                ...(evaluatedPromptTokens !== undefined ? {evaluatedPromptTokens} : {})
            });
        const result = {
            idx,
            response,
            finishReason,
            promptTokens,
            completionTokens,
            attempts: attempt + 1,
            firstTokenMs,
            ...(evaluatedPromptTokens !== undefined ? {evaluatedPromptTokens} : {})
        };
        const judged = await judgeAnswer(options, response, finishReason);
        if ("retry" in judged) {
            reason = judged.retry;
            continue;
        }
        if ("hookError" in judged) return {...result, ok: false, annotation: null, reason: judged.hookError, stage: "hook"};
        const value = judged.value;
        const confidence =
            options.confidence === true
                ? {confidence: tokenLogprobs !== undefined ? answerConfidence({response, tokens: tokenLogprobs, schema: answerSchema.jsonSchema}) : null}
                : {};
        return {...result, ok: true, annotation: value, reason: null, ...confidence};
    }
    return {
        idx,
        ok: false,
        annotation: null,
        response,
        finishReason,
        promptTokens,
        completionTokens,
        attempts: maxAttempts,
        firstTokenMs,
        ...(evaluatedPromptTokens !== undefined ? {evaluatedPromptTokens} : {}),
        reason: `${reason} (after ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"})`,
        stage: "validate"
    };
}

/**
 * One answer text judged: the value to store (parsed, checked by the schema and the validate hook, shaped by the parse
 * hook), a reason to retry (truncated, invalid, rejected, not a list in a one-to-many run), or a hook's error (which
 * fails the row).
 */
async function judgeAnswer(
    options: GenerateValidatedOptions,
    response: string,
    finishReason: EngineResult["finishReason"]
): Promise<{value: unknown} | {retry: string} | {hookError: string}> {
    const {answerSchema, hooks} = options;
    let value: unknown = response;
    if (!answerSchema.isFreeText) {
        if (finishReason === "length") return {retry: `answer truncated at maxTokens (${options.maxTokens}); raise --max-tokens`};
        const check = answerSchema.check(response);
        if (!check.ok) return {retry: check.reason};
        value = check.value;
    }
    if (options.oneToMany === true && hooks?.parse === undefined && !Array.isArray(value))
        return {
            retry: `the answer is ${describeValue(value)}, not a list; a --one-to-many run stores one output row per element of a list answer (give a schema of "type": "array", or a parse hook that returns a list)`
        };
    if (hooks?.validate !== undefined) {
        const verdict = await hooks.validate(value);
        if ("error" in verdict) return {hookError: verdict.error};
        if ("invalid" in verdict) return {retry: `rejected by the validate hook: ${verdict.invalid}`};
    }
    if (hooks?.parse !== undefined) {
        const parsed = await hooks.parse(value);
        if ("error" in parsed) return {hookError: parsed.error};
        value = parsed.value;
    }
    return {value};
}

/** The row ran out of its time limit: it fails at the generate stage, with what it had generated so far as the response. */
function timedOut(
    options: GenerateValidatedOptions,
    row: Pick<EngineResult, "idx" | "response" | "promptTokens" | "completionTokens" | "attempts" | "firstTokenMs" | "evaluatedPromptTokens">
): EngineResult {
    const seconds = (options.timeLimitMs ?? 0) / 1000;
    return {
        ...row,
        ok: false,
        annotation: null,
        finishReason: "timeout",
        reason: `the row took longer than its time limit (--row-timeout ${seconds} s) in ${row.attempts} attempt${row.attempts === 1 ? "" : "s"}; raise --row-timeout`,
        stage: "generate"
    };
}
