import path from "node:path";
import {chatRoles, type ChatMessage} from "../chat/ChatMessage.js";
import {callHook} from "./callHook.js";
import type {LoadedHooks} from "./Hooks.js";
import {describeValue} from "./loadHooks.js";

/**
 * A row's prompt from the prompt hook: the prompt (the last user turn), the row's system message when it gave one, and
 * the turns before the prompt when it returned a message list; or why the hook failed (the row then goes to the errors
 * file, stage "hook").
 */
export type HookPrompt = {prompt: string; system?: string; turns?: ChatMessage[]} | {error: string};

const expected = "return the prompt text, {prompt, system} or a message list ending with the user turn to answer";

/** Runs `prompt(row)` of a hooks module that has one, on a copy of the row, and checks what it returned. */
export async function promptFromHook(
    hooks: LoadedHooks & {prompt: NonNullable<LoadedHooks["prompt"]>},
    row: Record<string, unknown>,
    timeoutMs: number
): Promise<HookPrompt> {
    const label = `${path.basename(hooks.file)} prompt()`;
    const outcome = await callHook(label, hooks.prompt, [structuredClone(row)], timeoutMs);
    if ("error" in outcome) return outcome;
    const value = outcome.value;
    if (typeof value === "string") return {prompt: value};
    if (Array.isArray(value)) return fromMessages(value, label);
    if (typeof value === "object" && value !== null) {
        const {prompt, system, ...rest} = value as Record<string, unknown>;
        const extra = Object.keys(rest);
        if (typeof prompt === "string" && (system === undefined || typeof system === "string") && extra.length === 0)
            return system === undefined ? {prompt} : {prompt, system};
        if (extra.length > 0) return {error: `${label} returned an object with ${extra.map((k) => `"${k}"`).join(", ")}; ${expected}`};
        return {
            error: `${label} returned {prompt: ${describeValue(prompt)}, system: ${describeValue(system)}}; prompt must be a string and system a string or absent`
        };
    }
    return {error: `${label} returned ${describeValue(value)}; ${expected}`};
}

/**
 * A message list as the row's conversation: an optional system message first, then user and assistant turns, the
 * last a user turn (the prompt to answer). Anything else is an error naming the message at fault.
 */
function fromMessages(list: unknown[], label: string): HookPrompt {
    if (list.length === 0) return {error: `${label} returned an empty message list; ${expected}`};
    const messages: ChatMessage[] = [];
    for (const [i, item] of list.entries()) {
        const fault = messageFault(item);
        if (fault !== null)
            return {
                error: `${label} returned a message list whose message ${i + 1} ${fault}; each message must be {role: "system", "user" or "assistant", content: string}`
            };
        const {role, content} = item as ChatMessage;
        if (role === "system" && i > 0)
            return {error: `${label} returned a message list with a system message at message ${i + 1}; only the first message may be the system message`};
        messages.push({role, content});
    }
    const last = messages[messages.length - 1]!;
    if (last.role !== "user")
        return {
            error: `${label} returned a message list ending with ${last.role === "assistant" ? "an assistant" : "a system"} message; end it with the user turn to answer`
        };
    const system = messages[0]!.role === "system" ? messages[0]!.content : undefined;
    const turns = messages.slice(system === undefined ? 0 : 1, -1);
    return {prompt: last.content, ...(system !== undefined ? {system} : {}), ...(turns.length > 0 ? {turns} : {})};
}

/** What is wrong with one message of a list ("has role \"bot\""), or null when it is a message. */
function messageFault(item: unknown): string | null {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return `is ${describeValue(item)}`;
    const {role, content, ...rest} = item as Record<string, unknown>;
    if (!(chatRoles as readonly unknown[]).includes(role))
        return role === undefined ? "has no role" : `has role ${JSON.stringify(role) ?? describeValue(role)}`;
    if (typeof content !== "string") return content === undefined ? "has no content" : `has ${describeValue(content)} as content`;
    const extra = Object.keys(rest);
    if (extra.length > 0) return `has ${extra.map((key) => `"${key}"`).join(", ")}`;
    return null;
}
