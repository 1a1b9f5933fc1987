import type {LlamaContext} from "node-llama-cpp";
import {addonContextOf, type NativeSamplingStats} from "./addonContextOf.js";
import type {StepProfile} from "../StepProfile.js";

/** The counters, or null when the addon lacks airlabel's sampling patch (a stock or older build). */
export function nativeSamplingStats(context: LlamaContext): NativeSamplingStats | null {
    const addonContext = addonContextOf(context);
    if (addonContext === undefined || typeof addonContext.airlabelSamplingStats !== "function") return null;
    return addonContext.airlabelSamplingStats();
}

/** A driver's step profile: its own step counts and wall time, with the context's native counters. */
export function stepProfileWithNativeStats(counts: Pick<StepProfile, "steps" | "sequenceSteps" | "stepMs">, context: LlamaContext): StepProfile {
    const stats = nativeSamplingStats(context);
    return {
        ...counts,
        decodeMs: (stats?.decodeNs ?? 0) / 1e6,
        samplingMs: (stats?.sampleCallNs ?? 0) / 1e6,
        samplingCalls: stats?.sampleCalls ?? 0,
        grammarCpuMs: (stats?.grammarNs ?? 0) / 1e6,
        grammarChecks: stats?.grammarChecks ?? 0,
        grammarRejections: stats?.grammarRejections ?? 0,
        maskHits: stats?.maskHits ?? 0,
        maskMisses: stats?.maskMisses ?? 0,
        maskChecks: stats?.maskChecks ?? 0,
        maskMismatches: stats?.maskMismatches ?? 0,
        stockSamples: stats?.fallbacks ?? 0,
        graphTokens: stats?.graphTokens ?? 0,
        forcedTokens: stats?.forcedTokens ?? 0,
        jumpedTokens: stats?.jumpedTokens ?? 0,
        sharedPrefixTokens: stats?.prefixTokens ?? 0,
        sharedPrefixCopies: stats?.prefixCopies ?? 0,
        native: stats !== null
    };
}
