import path from "node:path";
import {callHook} from "./callHook.js";
import type {LoadedHooks} from "./Hooks.js";
import {describeValue} from "./loadHooks.js";

/** What the row hook made of a record: its values with the hook's fields merged over them, or why the hook failed. */
export type HookRow = {values: Record<string, unknown>} | {error: string};

/** Runs `row(row)` of a hooks module on a copy of the record, and merges the fields it returned over the record. */
export async function rowFromHook(
    hooks: LoadedHooks & {row: NonNullable<LoadedHooks["row"]>},
    values: Record<string, unknown>,
    timeoutMs: number
): Promise<HookRow> {
    const label = `${path.basename(hooks.file)} row()`;
    const outcome = await callHook(label, hooks.row, [structuredClone(values)], timeoutMs);
    if ("error" in outcome) return outcome;
    const value = outcome.value;
    if (value === null || value === undefined) return {values};
    if (typeof value === "object" && !Array.isArray(value)) return {values: {...values, ...(value as Record<string, unknown>)}};
    return {error: `${label} returned ${describeValue(value)}; return an object of the fields to change or add (or nothing)`};
}
