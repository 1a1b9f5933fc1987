import type {GenerationOptions} from "../options/AnnotateOptions.js";

export type AttemptSampling = {
    temperature: number;
    topP: number;
    topK: number;
    minP: number;
    seed: number;
};

/**
 * Sampling for one attempt at one row. Attempt 0 uses the user's settings with seed `seed + idx`, so a row's
 * answer does not depend on which sequence or worker ran it. A retry must differ from the attempt before it
 * (under greedy decoding the same settings repeat the same answer), so retries sample at a temperature of at
 * least 0.6 + 0.2 per retry (capped at 1.5) with a seed derived from the row and the attempt.
 * `firstSeed` replaces attempt 0's `seed + idx` (generate: `seed + sample`).
 * `sample` (`--samples`: 0 .. N-1) draws sample k > 0 with the user's settings and a seed of its own; sample 0 is the
 * answer a run without `--samples` gives.
 */
export function samplingForAttempt(generation: Required<GenerationOptions>, idx: number, attempt: number, firstSeed?: number, sample = 0): AttemptSampling {
    const seed =
        sample > 0
            ? mixSeed(generation.seed, idx, sample * 256 + attempt)
            : attempt === 0 && firstSeed !== undefined
              ? firstSeed >>> 0
              : mixSeed(generation.seed, idx, attempt);
    if (attempt === 0) return {temperature: generation.temperature, topP: generation.topP, topK: generation.topK, minP: generation.minP, seed};
    return {
        temperature: Math.max(generation.temperature, Math.min(1.5, 0.6 + 0.2 * attempt)),
        topP: generation.topP,
        topK: generation.topK,
        minP: generation.minP,
        seed
    };
}

function mixSeed(seed: number, idx: number, attempt: number): number {
    if (attempt === 0) return (seed + idx) >>> 0;
    // splitmix32-style mix so retries of neighbouring rows do not share seeds
    let x = (seed + Math.imul(idx, 0x9e3779b1) + Math.imul(attempt, 0x85ebca6b)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x21f0aaad) >>> 0;
    x = Math.imul(x ^ (x >>> 15), 0x735a2d97) >>> 0;
    return (x ^ (x >>> 15)) >>> 0;
}
