import type {ChatMessage} from "../chat/ChatMessage.js";

/**
 * What a prompt hook returns: the prompt text, the prompt and this row's system message, or the row's whole conversation
 * as a message list (an optional system message first, user and assistant turns, the last a user turn: the prompt).
 */
export type PromptHookResult = string | {prompt: string; system?: string} | ChatMessage[];

/**
 * The functions a hooks module (`--hooks hooks.mjs`) may export, each optional and each may be async:
 *
 * - `row(row)`: preprocessing (llm_annotator's `preprocess_fn`): fields to change or add, merged over the input
 *   record before anything else reads it (the template, `prompt`, `--keep-columns`, the output); null or nothing =
 *   unchanged. The row's key and hash stay the record's as read.
 * - `prompt(row)`: the row's prompt (replaces the template), or `{prompt, system}`, or a message list
 *   `[{role: "system" | "user" | "assistant", content}, ...]` ending with the user turn to answer (few-shot turns of
 *   the row's own; a list without a system message gets the run's, as a prompt text does).
 * - `validate(row, answer)`: `true` or nothing = valid; `false` or a reason string = invalid (retried with changed
 *   sampling like a schema failure, then recorded as failed).
 * - `parse(row, answer)`: the value stored as the row's annotation (plain JSON data).
 *
 * `row` is the input record (prompt) or its kept columns (validate, parse); `answer` is the schema-valid parsed
 * JSON, or the text for free-text runs.
 */
export type AirlabelHooks = {
    row?: (row: Record<string, unknown>) => Record<string, unknown> | null | undefined | Promise<Record<string, unknown> | null | undefined>;
    prompt?: (row: Record<string, unknown>) => PromptHookResult | Promise<PromptHookResult>;
    validate?: (row: Record<string, unknown>, answer: unknown) => boolean | string | undefined | Promise<boolean | string | undefined>;
    parse?: (row: Record<string, unknown>, answer: unknown) => unknown;
};

/** The names of the hooks a module may export. */
export const hookNames = ["row", "prompt", "validate", "parse"] as const;

/** A loaded hooks module. */
export type LoadedHooks = AirlabelHooks & {
    /** Absolute path of the module. */
    file: string;
    /** sha256 of the module's bytes (part of the run identity). */
    sha256: string;
};

/** Whether the module has answer hooks (validate or parse), which run where answers are checked. */
export function hasAnswerHooks(hooks: LoadedHooks | null): hooks is LoadedHooks {
    return hooks !== null && (hooks.validate !== undefined || hooks.parse !== undefined);
}

/** Time limit of one hook call when `hookTimeoutMs` is not given. */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
