import {LlamaText, resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel} from "node-llama-cpp";
import type {ChatMessage} from "../chat/ChatMessage.js";
import {plainTranscript} from "../chat/plainTranscript.js";

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
 * Turns a rendered prompt (with an optional system message, and the turns before it: few-shot examples or a prompt
 * hook's message list) into the exact text the model sees: the model's chat template renders the conversation, or
 * without one it is a plain transcript (see plainTranscript). The same function runs in the prepare stage (to count
 * tokens) and in the workers (to generate), so counts and generation agree. User text is never parsed for special tokens.
 */
export function formatPrompt(wrapper: ChatWrapper | null, system: string | undefined, user: string, turns: readonly ChatMessage[] = []): FormattedPrompt {
    const messages: ChatMessage[] = [
        ...(system !== undefined && system.length > 0 ? [{role: "system" as const, content: system}] : []),
        ...turns,
        {role: "user", content: user}
    ];
    if (wrapper === null) return {text: LlamaText([plainTranscript(messages)]), stopTriggers: []};
    const state = wrapper.generateContextState({chatHistory: [...messages.map(historyItem), {type: "model", response: []}]});
    return {text: state.contextText, stopTriggers: state.stopGenerationTriggers};
}

/** A message as node-llama-cpp's chat history holds it (an assistant turn is a model response). */
function historyItem(message: ChatMessage): ChatHistoryItem {
    if (message.role === "assistant") return {type: "model", response: [message.content]};
    return {type: message.role, text: message.content};
}
