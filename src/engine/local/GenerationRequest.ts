import type {LlamaContext, LlamaGrammar, Token} from "node-llama-cpp";
import type {TokenLogprob} from "../confidence/TokenLogprob.js";
import type {LocalSamplingParams} from "../../options/generationParams.js";
import type {StepProfileSlot} from "../StepProfile.js";

/** One generation: a prompt (already tokenized) and how to sample its answer. */
export type GenerationRequest = {
    /** The prompt tokens, BOS included where the model wants one. */
    tokens: Token[];
    /** Generated tokens at most. */
    maxTokens: number;
    temperature: number;
    topP: number;
    topK: number;
    minP: number;
    seed: number;
    /** 1 = off. */
    repeatPenalty: number;
    /** Presence and frequency penalties, the tokens the penalties look back on, token biases (`--param`). Defaults to none. */
    params?: LocalSamplingParams;
    /** Decoding is constrained by this grammar. */
    grammar?: LlamaGrammar;
    /** Texts that end the answer (not included in it). */
    stopStrings: string[];
    /** Keep generating through end-of-generation tokens (benchmarks: exactly `maxTokens` tokens). */
    ignoreEos: boolean;
    /** Milliseconds the generation may take once it has a sequence; then it ends with finishReason "timeout". Defaults to no limit. */
    timeLimitMs?: number;
    /** Return each generated token's text and log-probability (`tokenLogprobs`); needs airlabel's steps patch. Defaults to false. */
    logprobs?: boolean;
};

export type GenerationOutput = {
    text: string;
    /** Tokens generated (stop strings included, trailing end-of-generation token excluded). */
    generatedTokens: number;
    finishReason: "stop" | "length" | "timeout";
    /** Milliseconds from the request starting on a sequence to its first generated token. */
    firstTokenMs: number;
    /** Milliseconds from the request starting on a sequence to its end. */
    generationMs: number;
    /** Prompt tokens this request evaluated: those after the prefix its sequence already held. */
    evaluatedPromptTokens: number;
    /** With `logprobs`: the generated tokens (end-of-generation excluded), their texts spelling the answer. */
    tokenLogprobs?: TokenLogprob[];
};

/** What runs generations on one context's sequences: {@link LockstepDriver} or {@link NativeStepDriver}. */
export type GenerationDriver = {
    generate(request: GenerationRequest): Promise<GenerationOutput>;
    /** Stops taking requests. Safe to call twice. */
    dispose(): void;
};

/** What a generation driver runs on. */
export type GenerationDriverOptions = {
    /** Context whose sequences the driver owns (all of them). */
    context: LlamaContext;
    /** Where to write the cumulative step profile as the driver goes. Defaults to none (no profile is kept). */
    profile?: StepProfileSlot;
    /**
     * The native decode loop goes on while JavaScript handles finished rows (the overlap patch; see NativeStepDriver):
     * on a GPU the host is idle during a decode, on CPU that JavaScript takes the cores the decode uses (`npm run
     * demo`: 27.0-27.4 rows/s with it, 28.2-28.5 without). Defaults to false.
     */
    overlap?: boolean;
    /**
     * The native decode loop appends the tokens a grammar forces after each sampled token and decodes them in that
     * token's step (jump-forward; the same answers, fewer steps). The JavaScript loop takes them one a step.
     * Defaults to true.
     */
    jumpForward?: boolean;
    /**
     * The native decode loop evaluates the common prompt prefix of rows starting on sequences that lack it (the
     * system message and the template up to the first row field, in a run's first rows) once, and copies it to those
     * sequences (llama.cpp's seq_cp). Defaults to true.
     */
    sharePrefix?: boolean;
};
