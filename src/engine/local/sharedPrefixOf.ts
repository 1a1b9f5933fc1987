import type {Token} from "node-llama-cpp";

/**
 * The longest token prefix every prompt starts with, short of each prompt's last token (which a generation always
 * evaluates, for its logits): the system message and the template up to the first row field, where the prompts are
 * rows of one job. Empty for fewer than two prompts.
 */
export function sharedPrefixOf(prompts: readonly (readonly Token[])[]): Token[] {
    if (prompts.length < 2) return [];
    const first = prompts[0]!;
    let length = Math.min(...prompts.map((prompt) => prompt.length - 1));
    for (const prompt of prompts.slice(1)) {
        let same = 0;
        while (same < length && prompt[same] === first[same]) same++;
        length = same;
    }
    return first.slice(0, Math.max(0, length));
}
