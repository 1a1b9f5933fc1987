import type {LlamaGrammarEvaluationState, LlamaModel} from "node-llama-cpp";
import {addonSamplerClassOf, nativeGrammarState} from "./addonSamplerClass.js";

/**
 * Whether a grammar evaluation state admits nothing but end-of-generation after the tokens it has accepted: the
 * check airlabel's native loop makes after each token (airlabel's grammar patch), where a generation then ends without a
 * decode to sample the forced end. JavaScript's loop makes it too, so that both loops make the same batches. Undefined
 * where the binary lacks the patch.
 */
export function grammarEndedCheck(model: LlamaModel): ((state: LlamaGrammarEvaluationState) => boolean) | undefined {
    const check = addonSamplerClassOf(model)?.airlabelGrammarEnded;
    if (check === undefined) return undefined;
    return (state) => check(nativeGrammarState(state));
}
