import type {LlamaContext} from "node-llama-cpp";

/** A context's cumulative counters from airlabel's sampling patch (`airlabelSamplingStats()` on the addon context). */
export type NativeSamplingStats = {
    decodeNs: number;
    decodes: number;
    sampleCallNs: number;
    sampleCalls: number;
    samples: number;
    grammarNs: number;
    grammarChecks: number;
    grammarRejections: number;
    maskHits: number;
    maskMisses: number;
    fallbacks: number;
    /** Steps patch (absent before it). */
    maskChecks?: number;
    maskMismatches?: number;
    /** Argmax patch (absent before it). */
    graphTokens?: number;
    /** Jump patch: tokens a grammar forced, and those appended without a step of their own. */
    forcedTokens?: number;
    jumpedTokens?: number;
    /** Jump patch: prompt prefix tokens evaluated once for several sequences, and the copies made of them. */
    prefixTokens?: number;
    prefixCopies?: number;
};

/**
 * The native methods airlabel uses on node-llama-cpp's addon context (`LlamaContext._ctx`): node-llama-cpp's own
 * `sampleToken`, and those airlabel's patches add (each absent from a build without its patch).
 */
export type AddonContext = {
    sampleToken(batchLogitIndex: number, sampler: object, ...more: unknown[]): Promise<unknown>;
    /** Decode-thread patch: several sequences' plain sampling in one call. */
    airlabelSampleTokens?(batchLogitIndexes: number[], samplers: object[]): Promise<[number[], (string | undefined)[]]>;
    /** Sampling patch: the context's cumulative decode and sampling counters. */
    airlabelSamplingStats?(): NativeSamplingStats;
    /** Steps patch: registers a generation with the native decode loop (not while a run is in flight). */
    airlabelStepsAdd?(
        sequenceId: number,
        tokens: Uint32Array,
        firstPosition: number,
        sampler: object,
        maxTokens: number,
        ignoreEos: boolean,
        stopStrings: string[],
        timeLimitMs?: number,
        logprobs?: boolean,
        trimFrom?: number,
        forEvent?: number
    ): void;
    /**
     * Steps patch: runs the native decode loop until a generation finishes or it is interrupted. Overlap patch: with
     * `onEvent`, it runs until nothing is left, handing each step's finished generations to `onEvent` while it goes
     * on; before the step after next it waits for `airlabelStepsAck(eventId)`, and the generations added with
     * `forEvent` = that id join then.
     */
    airlabelStepsRun?(onEvent?: (finished: NativeStepsResult["finished"], eventId: number, counts: NativeStepsCounts) => void): Promise<NativeStepsResult>;
    /** Overlap patch: the event's finished generations are handled and the rows for its sequences added. */
    airlabelStepsAck?(eventId: number): void;
    /** Steps patch: the run in flight returns after its current step. */
    airlabelStepsInterrupt?(): void;
    /** Steps patch: drops every registered generation (not while a run is in flight); how many there were. */
    airlabelStepsCancel?(): number;
    /** Steps patch: whether `airlabelStepsAdd` takes a time limit (absent in builds before it did). */
    airlabelStepsTimeLimits?(): boolean;
    /** Steps patch: whether `airlabelStepsAdd` takes `logprobs` (absent in builds before it did). */
    airlabelStepsLogprobs?(): boolean;
    /** Argmax patch: every decode's graph also takes each output row's argmax (or no longer); returns whether it does. Not while a run is in flight. */
    airlabelGraphArgmax?(on: boolean): boolean;
    /** Jump patch: the native decode loop appends the tokens a grammar forces after each sampled one, decoded in its step (or no longer); returns whether it does. Not while a run is in flight. */
    airlabelStepsJumpForward?(on: boolean): boolean;
    /** Jump patch: evaluates `tokens` on sequence `source` from position 0 and copies its cells to each of `targets` (each emptied first). Not while a run is in flight. */
    airlabelStepsSharePrefix?(source: number, tokens: Uint32Array, targets: number[]): Promise<void>;
    /** Steps patch: builds the vocabulary trie grammar masks walk now, not at a run's first mask; false where masks are not computed that way. */
    airlabelPrepareGrammarMasks?(): boolean;
    /** node-llama-cpp's own: removes a sequence's cells from `start` to `end` (-1: to its end). */
    removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
};

/** A run's steps so far: decode steps, sequences summed over them, their wall time. */
export type NativeStepsCounts = {steps: number; sequenceSteps: number; stepMs: number};

/** What one `airlabelStepsRun()` did: the generations that finished, and its steps. */
export type NativeStepsResult = {
    finished: {
        sequenceId: number;
        tokens: Uint32Array;
        finish: "stop" | "length" | "timeout" | "error";
        error?: string;
        /** Milliseconds from `airlabelStepsAdd` to the first sampled token; -1: none. */
        firstTokenMs: number;
        /** Positions of the sequence that now hold tokens (the prompt and the generated tokens decoded). */
        position: number;
        /** With `logprobs`: each generated token's log-probability under the model's raw logits. */
        logprobs?: Float32Array;
    }[];
    steps: number;
    sequenceSteps: number;
    stepMs: number;
};

/** The context's addon object, or undefined where node-llama-cpp's internals differ. */
export function addonContextOf(context: LlamaContext): AddonContext | undefined {
    return (context as unknown as {_ctx?: AddonContext})._ctx;
}
