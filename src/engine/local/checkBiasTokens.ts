import {readGgufFileInfo} from "node-llama-cpp";
import {InvalidOptionError} from "../../AirlabelError.js";
import type {LocalSamplingParams} from "../../options/generationParams.js";

/**
 * A `logit_bias` token id beyond the model's vocabulary, which llama.cpp would ignore without a word, is refused
 * before the model loads (the vocabulary's size read from the GGUF metadata). A model whose metadata lists no tokens
 * is not checked.
 */
export async function checkBiasTokens(modelPath: string, params: LocalSamplingParams): Promise<void> {
    if (params.logitBias === undefined || params.logitBias.length === 0) return;
    const info = await readGgufFileInfo(modelPath, {logWarnings: false});
    const tokens = (info.metadata as {tokenizer?: {ggml?: {tokens?: unknown}}}).tokenizer?.ggml?.tokens;
    if (!Array.isArray(tokens)) return;
    const outside = params.logitBias.find(([token]) => token >= tokens.length);
    if (outside !== undefined)
        throw new InvalidOptionError(
            `options.params.logit_bias: token ${outside[0]} is not in the vocabulary of ${modelPath} (${tokens.length} tokens, ids 0 to ${tokens.length - 1}); check the token ids for this model`
        );
}
