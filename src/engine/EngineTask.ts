import type {ChatMessage} from "../chat/ChatMessage.js";

/** What an engine loaded, for the run's startup line. */
export type WarmupResult = {engine: string; hint: string | null};

/** One row to generate, the same for every engine (local or remote). */
export type EngineTask = {
    idx: number;
    /** The rendered user prompt (chat formatting happens in the engine). */
    prompt: string;
    /** This row's system message (a prompt hook's); absent: the run's. */
    system?: string;
    /** This row's turns between the system message and `prompt` (a prompt hook's message list); absent: the run's (its few-shot examples, if any). */
    turns?: ChatMessage[];
    /** The first attempt's seed; absent: `generation.seed + idx` (see samplingForAttempt). */
    seed?: number;
    /** The row's kept columns, for the validate/parse hooks; sent only when there are such hooks. */
    row?: Record<string, unknown>;
};

/** One row's answer (or failure), as every engine returns it. */
export type EngineResult = {
    idx: number;
    ok: boolean;
    /** Parsed JSON (schema/choices) or the text (free text); null when not ok. */
    annotation: unknown;
    /** The last raw answer text. */
    response: string;
    /** "timeout": the row's time limit (`rowTimeout`) passed. */
    finishReason: "stop" | "length" | "timeout";
    promptTokens: number;
    /** Generated tokens over all attempts. */
    completionTokens: number;
    attempts: number;
    /** Milliseconds from the row reaching its worker's queue to its first generated token. */
    firstTokenMs: number;
    /** Prompt tokens evaluated over all attempts, after reusing the prefix a sequence held (local engine only). */
    evaluatedPromptTokens?: number;
    /** With `--confidence` or `--samples`: the answer's confidence in 0..1 (see answerConfidence, majorityVote); null where none could be measured. */
    confidence?: number | null;
    /** Why the row failed, when not ok. */
    reason: string | null;
    /** Where a failed row failed: "validate" (the answers; the default), "generate" (the backend refused the request) or "hook" (a validate/parse hook threw, timed out or returned the wrong type). */
    stage?: "generate" | "validate" | "hook";
};
