import type {LlamaModel} from "node-llama-cpp";
import {AirlabelError} from "../AirlabelError.js";
import {formatPrompt} from "../llama/formatPrompt.js";
import {tokenizePrompt} from "../llama/tokenizePrompt.js";
import {SeededRandom} from "../gguf/SeededRandom.js";

/** Raised when no prompt of exactly the asked token count can be built with this model's tokenizer. */
export class SyntheticPromptError extends AirlabelError {}

const words = (
    "the a of and to in is was for on with as at by from that this it be are or an not but all can had her his one " +
    "our out day get has him how man new now old see two way who boy did its let put say she too use river stone light table " +
    "window garden letter number market simple yellow thunder silver morning"
).split(" ");

/**
 * `count` distinct raw-completion prompts of exactly `tokens` tokens each (beginning-of-sequence token included,
 * as the engine evaluates them). Each starts with a different word sequence, so no two rows share a prefix
 * beyond the first token or two and the per-sequence prefix reuse cannot make a benchmark look faster.
 */
export function syntheticPrompts(model: LlamaModel, count: number, tokens: number, seed = 1): string[] {
    const random = new SeededRandom(seed);
    const prompts: string[] = [];
    const lengthOf = (text: string) => tokenizePrompt(model, formatPrompt(null, undefined, text)).length;
    for (let i = 0; i < count; i++) {
        const parts = [`row ${i}:`];
        while (lengthOf(parts.join(" ")) < tokens) parts.push(words[Math.floor(random.nextFloat() * words.length)]!);
        // too long by a merge or a word: drop words, then fill with one-token pieces
        while (parts.length > 1 && lengthOf(parts.join(" ")) > tokens) parts.pop();
        let text = parts.join(" ");
        for (let guard = 0; lengthOf(text) < tokens && guard < tokens * 4; guard++) {
            const single = [" a", ".", ",", " I", "a", "e"].find((piece) => lengthOf(text + piece) === lengthOf(text) + 1);
            text += single ?? " a";
        }
        if (lengthOf(text) !== tokens)
            throw new SyntheticPromptError(
                `cannot build a prompt of exactly ${tokens} tokens with ${model.filename ?? "this model"}'s tokenizer (got ${lengthOf(text)}); try another --prompt-tokens`
            );
        prompts.push(text);
    }
    return prompts;
}
