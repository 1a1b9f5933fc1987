import path from "node:path";
import {callHook} from "./callHook.js";
import type {LoadedHooks} from "./Hooks.js";
import {describeValue} from "./loadHooks.js";

/** A row's prompt from the prompt hook, or why the hook failed (the row then goes to the errors file, stage "hook"). */
export type HookPrompt = {prompt: string; system?: string} | {error: string};

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
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const {prompt, system, ...rest} = value as Record<string, unknown>;
        const extra = Object.keys(rest);
        if (typeof prompt === "string" && (system === undefined || typeof system === "string") && extra.length === 0)
            return system === undefined ? {prompt} : {prompt, system};
        if (extra.length > 0)
            return {error: `${label} returned an object with ${extra.map((k) => `"${k}"`).join(", ")}; return the prompt text or {prompt, system}`};
        return {
            error: `${label} returned {prompt: ${describeValue(prompt)}, system: ${describeValue(system)}}; prompt must be a string and system a string or absent`
        };
    }
    return {error: `${label} returned ${describeValue(value)}; return the prompt text or {prompt, system}`};
}
