/** What decides whether a context keeps one KV cache for all its sequences. */
export type KvUnifiedForOptions = {
    /** Shared prefixes are on (see AnnotateOptions.sharePrefix). */
    sharePrefix: boolean;
    /** Sequences of the context. */
    parallel: number;
    /** Tokens every prompt starts with that the worker knows at load: the chat template's head, system message and turns. */
    sharedTokens: number;
    /** Tokens of context per sequence. */
    contextSize: number;
};

/**
 * Whether a worker's context keeps one KV cache for all its sequences (llama.cpp's `kv_unified`) instead of one per
 * sequence (node-llama-cpp's choice). Measured on bench/annotation-job (2 cores, the 128k-vocabulary model, 32
 * sequences, a 404-token shared prefix in a 768-token context per sequence, 2026-12-06, bench/RESULTS.md): with
 * shared prefixes, one cache gave 52.3 answers/s against 43.2 (llama.cpp splits a step whose sequences decode
 * different token counts, as new prompts and jumped tokens make them, into a ubatch per sequence run when each
 * sequence has its own cache, and one cache holds the copied prefix once); without shared prefixes, 22.7 against 34.1
 * (every token attends over every sequence's cells). So one cache where prefixes are shared and the part every prompt
 * shares is at least a quarter of a sequence's context. `AIRLABEL_KV_UNIFIED=1` / `0` sets it (to compare).
 */
export function kvUnifiedFor(options: KvUnifiedForOptions): boolean {
    const setting = process.env.AIRLABEL_KV_UNIFIED;
    if (setting === "1" || setting === "0") return setting === "1";
    return options.sharePrefix && options.parallel > 1 && options.sharedTokens * 4 >= options.contextSize;
}
