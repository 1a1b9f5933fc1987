import type {ChatMessage} from "./ChatMessage.js";

/**
 * A conversation as one text, for a model without a chat template (`chatTemplate: "none"`, a base model) and the
 * completions endpoint: the messages' contents in order, separated by a blank line; the answer follows the last one.
 * A system message and a prompt alone read as they always have (`system\n\nprompt`).
 */
export function plainTranscript(messages: readonly ChatMessage[]): string {
    return messages.map((message) => message.content).join("\n\n");
}
