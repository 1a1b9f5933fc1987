import {type LlamaModel, type Token, TokenBias} from "node-llama-cpp";
import {DEFAULT_PENALTY_LAST_N} from "../../options/generationParams.js";
import type {GenerationRequest} from "./GenerationRequest.js";

/** node-llama-cpp's `repeatPenalty` sampling option, as `evaluate()` and its `_resolveSamplerConfig` take it. */
export type RepeatPenaltyOption = {
    punishTokens: Token[] | (() => Token[]);
    maxPunishTokens: number;
    penalty: number;
    presencePenalty: number;
    frequencyPenalty: number;
};

/**
 * The repeat, presence and frequency penalties and the token biases of `request`, as node-llama-cpp's sampling options
 * (`repeatPenalty`, `tokenBias`): both drivers configure node-llama-cpp's native sampler with them, so llama.cpp's own
 * penalties and logit-bias samplers apply them. `punishTokens` are the generated tokens the penalties look at (the
 * native loop's sampler accepts each token itself and starts from none). Empty where the request has none of them.
 */
export function penaltyAndBias(
    model: LlamaModel,
    request: GenerationRequest,
    punishTokens: Token[] | (() => Token[])
): {repeatPenalty?: RepeatPenaltyOption; tokenBias?: TokenBias} {
    const params = request.params ?? {};
    const presencePenalty = params.presencePenalty ?? 0;
    const frequencyPenalty = params.frequencyPenalty ?? 0;
    const penalized = request.repeatPenalty !== 1 || presencePenalty !== 0 || frequencyPenalty !== 0;
    return {
        ...(penalized
            ? {
                  repeatPenalty: {
                      punishTokens,
                      maxPunishTokens: params.penaltyLastN ?? DEFAULT_PENALTY_LAST_N,
                      penalty: request.repeatPenalty,
                      presencePenalty,
                      frequencyPenalty
                  }
              }
            : {}),
        ...(params.logitBias !== undefined && params.logitBias.length > 0 ? {tokenBias: tokenBiasOf(model, params.logitBias)} : {})
    };
}

/**
 * The biases as a node-llama-cpp TokenBias, each added to its token's logit as llama.cpp's logit-bias sampler (and
 * OpenAI's `logit_bias`) does, end-of-generation tokens included: TokenBias.set() skips those, so the map it fills is
 * written directly where node-llama-cpp's internals allow it.
 */
function tokenBiasOf(model: LlamaModel, biases: readonly [token: number, bias: number][]): TokenBias {
    const tokenBias = TokenBias.for(model);
    const map = (tokenBias as unknown as {_biases?: unknown})._biases;
    for (const [token, bias] of biases) {
        if (map instanceof Map) map.set(token, bias);
        else tokenBias.set(token as Token, bias === -Infinity ? "never" : {logit: bias});
    }
    return tokenBias;
}
