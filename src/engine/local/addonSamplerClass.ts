import type {LlamaModel} from "node-llama-cpp";

/** node-llama-cpp's native sampler (`AddonSampler`), configured once for a whole generation. */
export type AddonSampler = {
    applyConfig(config: object): void;
    dispose(): void;
};

/** The `AddonSampler` class of a model's bindings, with the statics airlabel's grammar patch adds where the binary has it. */
export type AddonSamplerClass = {
    new (model: unknown): AddonSampler;
    /** Whether a grammar evaluation state (its native `_state`) admits only end-of-generation. */
    airlabelGrammarEnded?: (state: unknown) => boolean;
    /** Computes the masks of a grammar's first states into its shared cache; returns how many. */
    airlabelWarmGrammarMasks?: (state: unknown, budgetMs: number, maxStates: number) => number;
};

/** node-llama-cpp's internal `AddonSampler` class for `model`; undefined where its internals differ. */
export function addonSamplerClassOf(model: LlamaModel): AddonSamplerClass | undefined {
    return (model as unknown as {_llama?: {_bindings?: {AddonSampler?: AddonSamplerClass}}})._llama?._bindings?.AddonSampler;
}

/** The native state behind a `LlamaGrammarEvaluationState` (node-llama-cpp's internal `_state`). */
export function nativeGrammarState(state: object): unknown {
    return (state as {_state?: unknown})._state;
}
