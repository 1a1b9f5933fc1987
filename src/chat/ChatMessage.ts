/** The roles a conversation's messages may have. */
export const chatRoles = ["system", "user", "assistant"] as const;

/**
 * One message of a conversation, as OpenAI's chat API takes it: a system message, a user turn or an assistant turn
 * (a few-shot example's answer). A row's conversation is its system message, the turns before its prompt (few-shot
 * examples, or a prompt hook's message list) and its prompt, the last user turn.
 */
export type ChatMessage = {role: (typeof chatRoles)[number]; content: string};
