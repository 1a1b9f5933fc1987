import type {StepProfile} from "../engine/StepProfile.js";

/** One decode step's time, on average, split by where it goes (milliseconds unless named otherwise), and the run's grammar counts. */
export type StepBreakdown = Pick<
    StepProfile,
    | "samplingCalls"
    | "grammarChecks"
    | "grammarRejections"
    | "maskHits"
    | "maskMisses"
    | "stockSamples"
    | "graphTokens"
    | "forcedTokens"
    | "jumpedTokens"
    | "sharedPrefixTokens"
    | "sharedPrefixCopies"
> & {
    steps: number;
    /** Average sequences per step. */
    sequencesPerStep: number;
    /** Wall time of a step. */
    stepMs: number;
    /** Inside llama_decode: the engine's own work (on a GPU, the time the host can overlap with nothing else). */
    decodeMs: number;
    /** Reading logits and sampling every sequence, grammar included (the native sampling call's wall time). */
    samplingMs: number;
    /** Grammar checks and masks, CPU time summed over the sampling threads (part of samplingMs). */
    grammarCpuMs: number;
    /** JavaScript scheduling: the step's wall time less the decode and the sampling. */
    jsMs: number;
    /** Host work a step adds to its decode (stepMs - decodeMs): what a GPU would wait for. */
    hostMs: number;
    /** hostMs per sequence, microseconds. */
    hostUsPerSequence: number;
    /** False when the binary lacks airlabel's sampling patch: then decode and sampling are unknown (0) and jsMs is the whole step. */
    native: boolean;
};

/** Averages a run's step profile per step. */
export function stepBreakdown(profile: StepProfile): StepBreakdown {
    const steps = Math.max(1, profile.steps);
    const perStep = (value: number): number => value / steps;
    const sequencesPerStep = profile.sequenceSteps / steps;
    const hostMs = perStep(profile.stepMs - profile.decodeMs);
    return {
        steps: profile.steps,
        sequencesPerStep,
        stepMs: perStep(profile.stepMs),
        decodeMs: perStep(profile.decodeMs),
        samplingMs: perStep(profile.samplingMs),
        grammarCpuMs: perStep(profile.grammarCpuMs),
        jsMs: perStep(profile.stepMs - profile.decodeMs - profile.samplingMs),
        hostMs,
        hostUsPerSequence: sequencesPerStep > 0 ? (hostMs * 1000) / sequencesPerStep : 0,
        samplingCalls: profile.samplingCalls,
        grammarChecks: profile.grammarChecks,
        grammarRejections: profile.grammarRejections,
        maskHits: profile.maskHits,
        maskMisses: profile.maskMisses,
        stockSamples: profile.stockSamples,
        graphTokens: profile.graphTokens,
        forcedTokens: profile.forcedTokens,
        jumpedTokens: profile.jumpedTokens,
        sharedPrefixTokens: profile.sharedPrefixTokens,
        sharedPrefixCopies: profile.sharedPrefixCopies,
        native: profile.native
    };
}
