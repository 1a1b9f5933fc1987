import {type LlamaContextSequence, type LlamaGrammar, LlamaGrammarEvaluationState, type LlamaModel} from "node-llama-cpp";
import type {GenerationRequest} from "./GenerationRequest.js";
import {type AddonSampler, addonSamplerClassOf} from "./addonSamplerClass.js";
import {penaltyAndBias} from "./penaltyAndBias.js";

type Internals = {
    model: {_model?: unknown};
    sequence: {_resolveSamplerConfig?(options: object): object};
};

/** A pristine evaluation state per model and grammar, never advanced: each row's state is a clone of it. */
const pristineStates = new WeakMap<LlamaModel, WeakMap<LlamaGrammar, LlamaGrammarEvaluationState>>();

/**
 * A fresh evaluation state of `grammar`: a clone of the pristine one (llama.cpp copies the parsed rules, 4 µs with
 * the demo schema, against 15 µs to parse the grammar again; a row's admission is host time a GPU waits for).
 */
function grammarStateFor(model: LlamaModel, grammar: LlamaGrammar): LlamaGrammarEvaluationState {
    let byGrammar = pristineStates.get(model);
    if (byGrammar === undefined) {
        byGrammar = new WeakMap();
        pristineStates.set(model, byGrammar);
    }
    let pristine = byGrammar.get(grammar);
    if (pristine === undefined) {
        pristine = new LlamaGrammarEvaluationState({model, grammar});
        byGrammar.set(grammar, pristine);
    }
    return pristine.clone();
}

/**
 * A native sampler for `request`, configured as node-llama-cpp's `sequence.evaluate()` configures its own (its
 * `_resolveSamplerConfig`, so the defaults are node-llama-cpp's), with the grammar's evaluation state: the native decode
 * loop then samples and accepts every token with it. The penalties start from no tokens and the sampler accepts each
 * generated one, which is what the JavaScript loop's `punishTokens` (the last `repeat_last_n`, 64, generated) amounts to.
 *
 * Returns undefined where node-llama-cpp's internals differ.
 */
export function createAddonSampler(
    model: LlamaModel,
    sequence: LlamaContextSequence,
    request: GenerationRequest
): {sampler: AddonSampler; grammarState?: LlamaGrammarEvaluationState} | undefined {
    const internals = {model, sequence} as unknown as Internals;
    const AddonSamplerClass = addonSamplerClassOf(model);
    const resolve = internals.sequence._resolveSamplerConfig;
    if (AddonSamplerClass === undefined || resolve === undefined || internals.model._model === undefined) return undefined;
    const grammarState = request.grammar !== undefined ? grammarStateFor(model, request.grammar) : undefined;
    const config = resolve.call(sequence, {
        temperature: request.temperature,
        topP: request.topP,
        topK: request.topK,
        minP: request.minP,
        seed: request.seed,
        ...(grammarState !== undefined ? {grammarEvaluationState: grammarState} : {}),
        ...penaltyAndBias(model, request, [])
    });
    const sampler = new AddonSamplerClass(internals.model._model);
    sampler.applyConfig(config);
    return grammarState !== undefined ? {sampler, grammarState} : {sampler};
}
