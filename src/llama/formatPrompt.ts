import {LlamaText, resolveChatWrapper, type ChatWrapper, type LlamaModel} from "node-llama-cpp";

export type FormattedPrompt = {
    /** What the model is fed. */
    text: LlamaText;
    /** Extra texts that end the answer (the chat template's end-of-turn markers). */
    stopTriggers: LlamaText[];
};

/**
 * Picks the chat wrapper for a model: the GGUF's own chat template when `mode` is "auto" and it has one,
 * otherwise none (raw completion, as for base models).
 */
export function chatWrapperFor(model: LlamaModel, mode: "auto" | "none"): ChatWrapper | null {
    if (mode === "none") return null;
    const template = model.fileInfo.metadata?.tokenizer?.chat_template;
    if (typeof template !== "string" || template.length === 0) return null;
    return resolveChatWrapper(model);
}

/**
 * Turns a rendered prompt (and optional system message) into the exact text the model sees.
 * The same function runs in the prepare stage (to count tokens) and in the workers (to generate),
 * so counts and generation agree. User text is never parsed for special tokens.
 */
export function formatPrompt(wrapper: ChatWrapper | null, system: string | undefined, user: string): FormattedPrompt {
    if (wrapper === null) {
        const raw = system !== undefined && system.length > 0 ? `${system}\n\n${user}` : user;
        return {text: LlamaText([raw]), stopTriggers: []};
    }
    const state = wrapper.generateContextState({
        chatHistory: [
            ...(system !== undefined && system.length > 0 ? [{type: "system" as const, text: system}] : []),
            {type: "user", text: user},
            {type: "model", response: []}
        ]
    });
    return {text: state.contextText, stopTriggers: state.stopGenerationTriggers};
}
