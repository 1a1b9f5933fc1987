import type {LlamaContext} from "node-llama-cpp";
import {addonContextOf} from "./addonContextOf.js";

/** A context's cumulative counters from airlabel's sampling patch (`airlabelSamplingStats()` on the addon context). */
export type NativeSamplingStats = {
    decodeNs: number,
    decodes: number,
    sampleCallNs: number,
    sampleCalls: number,
    samples: number,
    grammarNs: number,
    grammarChecks: number,
    grammarRejections: number,
    maskHits: number,
    maskMisses: number,
    fallbacks: number
};

/** The counters, or null when the addon lacks airlabel's sampling patch (a stock or older build). */
export function nativeSamplingStats(context: LlamaContext): NativeSamplingStats | null {
    const addonContext = addonContextOf(context);
    if (addonContext === undefined || typeof addonContext.airlabelSamplingStats !== "function") return null;
    return addonContext.airlabelSamplingStats();
}
