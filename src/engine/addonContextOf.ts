import type {LlamaContext} from "node-llama-cpp";
import type {NativeSamplingStats} from "./nativeSamplingStats.js";

/**
 * The native methods airlabel uses on node-llama-cpp's addon context (`LlamaContext._ctx`): node-llama-cpp's own
 * `sampleToken`, and those airlabel's patches add (each absent from a build without its patch).
 */
export type AddonContext = {
    sampleToken(batchLogitIndex: number, sampler: object, ...more: unknown[]): Promise<unknown>,
    /** Decode-thread patch: several sequences' plain sampling in one call. */
    airlabelSampleTokens?(batchLogitIndexes: number[], samplers: object[]): Promise<[number[], (string | undefined)[]]>,
    /** Sampling patch: the context's cumulative decode and sampling counters. */
    airlabelSamplingStats?(): NativeSamplingStats
};

/** The context's addon object, or undefined where node-llama-cpp's internals differ. */
export function addonContextOf(context: LlamaContext): AddonContext | undefined {
    return (context as unknown as {_ctx?: AddonContext})._ctx;
}
