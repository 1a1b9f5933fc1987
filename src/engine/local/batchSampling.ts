import type {LlamaContext} from "node-llama-cpp";
import {addonContextOf} from "./addonContextOf.js";

type Pending = {batchLogitIndex: number; sampler: object; resolve: (token: number) => void; reject: (err: Error) => void};

/**
 * After a decode step node-llama-cpp samples each sequence's next token with its own native call, so a step of
 * N sequences makes N trips between the main thread and the sampling thread. With airlabel's decode-thread patch,
 * this routes the plain calls (`sampleToken(batchLogitIndex, sampler)`, which is how sequences sample without
 * probabilities, confidence or logits) made in the same microtask round (node-llama-cpp issues a step's calls
 * together, after its decode) into one `airlabelSampleTokens` call;
 * each caller still gets its own token or error. Calls with more arguments go to the original method.
 *
 * Returns false, changing nothing, when the addon lacks the patch or node-llama-cpp's internals differ.
 */
export function batchSampling(context: LlamaContext): boolean {
    const addonContext = addonContextOf(context);
    if (addonContext === undefined || typeof addonContext.sampleToken !== "function" || typeof addonContext.airlabelSampleTokens !== "function") return false;
    const sampleOne = addonContext.sampleToken.bind(addonContext);
    const sampleMany = addonContext.airlabelSampleTokens.bind(addonContext);
    let pending: Pending[] = [];
    const flush = (): void => {
        const batch = pending;
        pending = [];
        sampleMany(
            batch.map((call) => call.batchLogitIndex),
            batch.map((call) => call.sampler)
        ).then(
            ([tokens, errors]) => {
                batch.forEach((call, i) => {
                    const error = errors[i];
                    if (error !== undefined) call.reject(new Error(error));
                    else call.resolve(tokens[i] ?? -1);
                });
            },
            (err: unknown) => {
                for (const call of batch) call.reject(err instanceof Error ? err : new Error(String(err)));
            }
        );
    };
    Object.defineProperty(addonContext, "sampleToken", {
        configurable: true,
        writable: true,
        value: (batchLogitIndex: number, sampler: object, ...more: unknown[]): Promise<unknown> => {
            if (more.length > 0) return sampleOne(batchLogitIndex, sampler, ...more);
            return new Promise<number>((resolve, reject) => {
                if (pending.length === 0) queueMicrotask(flush);
                pending.push({batchLogitIndex, sampler, resolve, reject});
            });
        }
    });
    return true;
}
