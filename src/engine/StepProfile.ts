/**
 * Where the time of a local engine's decode steps goes, summed over its workers. Each worker writes its own
 * cumulative counters into a shared buffer after every step (no messages); the run reads them when it ends.
 *
 * A step is one pass of the lockstep loop: admit waiting rows, one `llama_decode` carrying every active sequence,
 * then every sequence's next token. Its wall time splits into the decode (inside `llama_decode`), sampling (the
 * native call that samples every sequence, grammar included) and the rest (JavaScript scheduling).
 */
export type StepProfile = {
    /** Decode steps taken. */
    steps: number;
    /** Sequences summed over steps (one sequence's token in one step counts 1). */
    sequenceSteps: number;
    /** Wall time of all steps, milliseconds. */
    stepMs: number;
    /** Time inside llama_decode, milliseconds (0 without airlabel's sampling patch). */
    decodeMs: number;
    /** Wall time of the native sampling calls, grammar included, milliseconds. */
    samplingMs: number;
    /** Native sampling calls (one per step when every sequence's call of the step arrives together). */
    samplingCalls: number;
    /** Time checking tokens against the grammar and computing masks, summed over sampling threads, milliseconds. */
    grammarCpuMs: number;
    /** Sampled tokens the grammar was asked about, and of those the ones it rejected (then sampled from its mask). */
    grammarChecks: number;
    grammarRejections: number;
    /** Grammar masks found in the per-state cache, and computed over the whole vocabulary. */
    maskHits: number;
    maskMisses: number;
    /** With `AIRLABEL_SAMPLING_CHECK_MASKS=1`: new masks compared with llama.cpp's own computation, and those that differed (a bug). */
    maskChecks: number;
    maskMismatches: number;
    /** Sequences sampled by node-llama-cpp's own path (a sampler the fast path does not handle). */
    stockSamples: number;
    /** Greedy tokens kept as the decode's graph chose them (`argmax` "graph"): no logits row read on the host for them. */
    graphTokens: number;
    /**
     * Answer tokens a grammar forced (the only continuation its text allows, spelled by the tokenizer's split), taken
     * without reading logits; of those, the ones appended after a sampled token and decoded in its step, without a
     * step of their own (jump-forward).
     */
    forcedTokens: number;
    jumpedTokens: number;
    /** Shared prefixes: prompt prefix tokens evaluated once for several sequences, and the sequences they were copied to. */
    sharedPrefixTokens: number;
    sharedPrefixCopies: number;
    /** Whether the native counters were there (airlabel's sampling patch); without them only steps and wall time are. */
    native: boolean;
};

const fields = [
    "steps",
    "sequenceSteps",
    "stepMs",
    "decodeMs",
    "samplingMs",
    "samplingCalls",
    "grammarCpuMs",
    "grammarChecks",
    "grammarRejections",
    "maskHits",
    "maskMisses",
    "maskChecks",
    "maskMismatches",
    "stockSamples",
    "graphTokens",
    "forcedTokens",
    "jumpedTokens",
    "sharedPrefixTokens",
    "sharedPrefixCopies",
    "native"
] as const;

/** A shared buffer with room for `workers` profiles and a slot counter. */
export function createStepProfileBuffer(workers: number): SharedArrayBuffer {
    return new SharedArrayBuffer(8 + workers * fields.length * 8);
}

/** A worker's slot in the buffer (taken once per worker, in load order). */
export class StepProfileSlot {
    private readonly _values: Float64Array;

    public constructor(buffer: SharedArrayBuffer) {
        const slot = Atomics.add(new Int32Array(buffer, 0, 2), 0, 1);
        this._values = new Float64Array(buffer, 8 + slot * fields.length * 8, fields.length);
    }

    public write(profile: StepProfile): void {
        fields.forEach((field, i) => {
            this._values[i] = Number(profile[field]);
        });
    }
}

/** The profiles of every worker that wrote one, summed. */
export function readStepProfile(buffer: SharedArrayBuffer): StepProfile {
    const slots = Math.min(Atomics.load(new Int32Array(buffer, 0, 2), 0), (buffer.byteLength - 8) / (fields.length * 8));
    const sum = Object.fromEntries(fields.map((field) => [field, 0])) as Record<(typeof fields)[number], number>;
    for (let slot = 0; slot < slots; slot++) {
        const values = new Float64Array(buffer, 8 + slot * fields.length * 8, fields.length);
        fields.forEach((field, i) => {
            sum[field] += values[i]!;
        });
    }
    return {...sum, native: slots > 0 && sum.native === slots};
}
