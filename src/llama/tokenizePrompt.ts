import type {LlamaModel, Token} from "node-llama-cpp";
import type {FormattedPrompt} from "./formatPrompt.js";

/**
 * The exact tokens a prompt is evaluated as: the beginning-of-sequence token when the model wants one, then the
 * formatted text. The prepare stage counts (and sorts by) these same tokens, so counts and generation agree.
 */
export function tokenizePrompt(model: LlamaModel, prompt: FormattedPrompt): Token[] {
    const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
    if (bos === null) return prompt.text.tokenize(model.tokenizer);
    const tokens = prompt.text.tokenize(model.tokenizer, "trimLeadingSpace");
    return tokens[0] === bos ? tokens : [bos, ...tokens];
}
