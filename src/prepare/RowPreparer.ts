import crypto from "node:crypto";
import type {ChatWrapper, LlamaModel} from "node-llama-cpp";
import type {ChatMessage} from "../chat/ChatMessage.js";
import {approxTokens} from "../engine/approxTokens.js";
import type {LoadedHooks} from "../hooks/Hooks.js";
import {type HookPrompt, promptFromHook} from "../hooks/promptFromHook.js";
import {rowFromHook} from "../hooks/rowFromHook.js";
import type {ExcludedInputs} from "./ExcludedInputs.js";
import {stringifyJson} from "../json/stringifyJson.js";
import {formatPrompt} from "../llama/formatPrompt.js";
import {tokenizePrompt} from "../llama/tokenizePrompt.js";
import type {KeptColumns} from "./KeptColumns.js";
import {PrepareError} from "./PrepareError.js";
import type {PreparedCacheWriter} from "./PreparedCache.js";
import type {PreparedFailure, PreparedRow} from "./PreparedJob.js";
import type {PromptTemplate} from "./PromptTemplate.js";
import {RowKeys} from "./RowKeys.js";

/** One record of the input as the dataset reader gives it: its values, or why it could not be read. */
export type DatasetRecord = {ordinal: number; location: string; values: Record<string, unknown>} | {ordinal: number; location: string; error: string};

/** A prompt the prompt hook (or the template) made. */
type HookPromptMade = Exclude<HookPrompt, {error: string}>;

/** What turning records into prepared rows needs. */
export type RowPreparerOptions = {
    writer: PreparedCacheWriter;
    template: PromptTemplate;
    promptHook: (LoadedHooks & {prompt: NonNullable<LoadedHooks["prompt"]>}) | null;
    /** `--exclude`: the inputs seen before, or null. */
    excluded: ExcludedInputs | null;
    /** The hooks module's `row(row)` preprocessing, or null. */
    rowHook: (LoadedHooks & {row: NonNullable<LoadedHooks["row"]>}) | null;
    hookTimeoutMs: number;
    keep: KeptColumns;
    /** The model's vocabulary and chat wrapper; null for a remote model (prompt tokens estimated). */
    vocabModel: LlamaModel | null;
    wrapper: ChatWrapper | null;
    system: string | undefined;
    /** The run's turns between the system message and each row's prompt: its few-shot examples (see FewShotExamples). Defaults to none. */
    turns?: readonly ChatMessage[];
    idxColumn: string | undefined;
    idColumn: string | undefined;
    dedup: boolean;
    skipInvalidRows: boolean;
    /** Fail rows whose template fields (or hook prompt) are empty (see AnnotateOptions.skipEmpty). */
    skipEmpty: boolean;
    /** Input columns renamed (old -> new) before anything reads a record; the hash is the record's as read. Defaults to none. */
    rename?: Readonly<Record<string, string>> | undefined;
    /** Hash the first this many records also on their own (see PreparedJob.prefixHash). */
    prefixRows: number | undefined;
};

/**
 * Turns the input's records, in input order, into prepared rows and failures for the cache writer: each record's
 * hash and key, its idx, its prompt (template or prompt hook), `--dedup`, its token count. Records an earlier
 * prepare already made (an input that grew) are only hashed and keyed (`hashRecord`), and that prepare's rows copied
 * (`copyRows`), so they are not rendered and tokenized again.
 */
export class RowPreparer {
    readonly #options: RowPreparerOptions;
    readonly #allHashes = crypto.createHash("sha256");
    readonly #keys: RowKeys;
    readonly #seenPrompts = new Map<string, number>();
    readonly #seenIdx = new Set<number>();
    #totalRows = 0;
    #firstPrompt: string | null = null;
    #prefixHash: string | null = null;

    public constructor(options: RowPreparerOptions) {
        this.#options = options;
        this.#keys = new RowKeys(options.idColumn);
    }

    public get totalRows(): number {
        return this.#totalRows;
    }

    public get keySource(): string {
        return this.#keys.source;
    }

    /** sha256 over every record's hash so far, in input order (the hash goes on). */
    public hashSoFar(): string {
        return this.#allHashes.copy().digest("hex");
    }

    /** The input's hash, its prefix hash (null when it had fewer than `prefixRows` records) and its first prompt: call once, after the last record. */
    public finish(): {inputHash: string; prefixHash: string | null; firstPrompt: string | null} {
        if (this.#totalRows === this.#options.prefixRows) this.#prefixHash = this.hashSoFar();
        return {inputHash: this.#allHashes.digest("hex"), prefixHash: this.#prefixHash, firstPrompt: this.#firstPrompt};
    }

    /** Hashes and keys a record an earlier prepare made (its idx checked as for any record), without rendering it. */
    public hashRecord(record: DatasetRecord): void {
        this.#count();
        if ("error" in record) {
            this.#allHashes.update(`!${record.ordinal}\n`);
            return;
        }
        // the checks a record gets in full (a repeated idx or id) hold for these too
        const inputHash = this.#hash(record.values);
        const renamed = {...record, values: this.#renamed(record.values)};
        this.#idxOf(renamed);
        this.#keys.of(renamed.values, inputHash, record.ordinal, record.location);
    }

    /** The first prompt of an earlier prepare whose rows `copyRows` copies: the input's first prompt. */
    public startWith(firstPrompt: string | null): void {
        this.#firstPrompt ??= firstPrompt;
    }

    /** The rows and failures of an earlier prepare whose records were hashed with `hashRecord`, into the writer. */
    public async copyRows(rows: PreparedRow[], failures: PreparedFailure[]): Promise<void> {
        const {writer} = this.#options;
        for (const failure of failures) await writer.addFailure(failure);
        for (const row of rows) {
            if (this.#options.dedup) this.#seenPrompts.set(dedupKey(row.prompt, row.system, row.turns), row.idx);
            await writer.addRow(row);
        }
    }

    /** Prepares one record: a row to generate, or a failure with its reason. */
    public async prepareRecord(record: DatasetRecord): Promise<void> {
        const options = this.#options;
        const {writer, keep, promptHook, template} = options;
        this.#count();
        if ("error" in record) {
            await writer.addFailure({
                idx: record.ordinal,
                stage: "input",
                reason: record.error,
                location: record.location,
                key: this.#keys.ofUnreadable(record.ordinal)
            });
            return;
        }
        const inputHash = this.#hash(record.values);
        record = {...record, values: this.#renamed(record.values)};
        if (options.rowHook !== null) {
            const made = await rowFromHook(options.rowHook, record.values, options.hookTimeoutMs);
            if ("error" in made) {
                const idx = this.#idxOf(record);
                const key = this.#keys.of(record.values, inputHash, record.ordinal, record.location);
                return writer.addFailure({
                    idx,
                    stage: "hook",
                    reason: made.error,
                    location: record.location,
                    key,
                    inputHash,
                    columns: keep.of(record.values, record.location, idx)
                });
            }
            record = {...record, values: made.values};
        }
        const idx = this.#idxOf(record);
        // failed rows keep them too (errors/ files)
        const kept = keep.of(record.values, record.location, idx);
        const key = this.#keys.of(record.values, inputHash, record.ordinal, record.location);
        const failed = {idx, location: record.location, columns: kept, key, inputHash};
        const seenIn = options.excluded?.seenIn(record.values) ?? null;
        if (seenIn !== null) return writer.addFailure({stage: "prepare", reason: `seen before in ${seenIn} (--exclude)`, ...failed});
        // --skip-empty: the template's fields before the template renders them (a hook's prompt once it is made)
        const emptyInput = options.skipEmpty && promptHook === null ? emptyField(record.values, template) : null;
        if (emptyInput !== null) return writer.addFailure({stage: "prepare", reason: `${emptyInput} is empty (--skip-empty)`, ...failed});
        const made = await this.#promptOf(record);
        if ("reason" in made) return writer.addFailure({...made, ...failed});
        const {prompt, system: rowSystem, turns: rowTurns} = made;
        if (options.dedup) {
            const seen = dedupKey(prompt, rowSystem, rowTurns);
            const first = this.#seenPrompts.get(seen);
            if (first !== undefined) return writer.addFailure({stage: "prepare", reason: `duplicate of row idx ${first} (--dedup)`, ...failed});
            this.#seenPrompts.set(seen, idx);
        }
        const promptTokens = this.#promptTokens(rowSystem ?? options.system, prompt, rowTurns ?? options.turns ?? []);
        this.#firstPrompt ??= prompt;
        const row: PreparedRow = {idx, prompt, promptTokens, inputHash, key, columns: kept};
        if (rowSystem !== undefined) row.system = rowSystem;
        if (rowTurns !== undefined) row.turns = rowTurns;
        await writer.addRow(row);
    }

    /**
     * The record's prompt: the prompt hook's (with the row's own system message and turns, when it gave them), or the
     * template's; or why the row fails instead.
     */
    async #promptOf(record: {location: string; values: Record<string, unknown>}): Promise<HookPromptMade | {stage: "hook" | "prepare"; reason: string}> {
        const options = this.#options;
        if (options.promptHook !== null) {
            const fromHook = await promptFromHook(options.promptHook, record.values, options.hookTimeoutMs);
            if ("error" in fromHook) return {stage: "hook", reason: fromHook.error};
            if (options.skipEmpty && fromHook.prompt.trim() === "") return {stage: "prepare", reason: "the prompt is empty (--skip-empty)"};
            return fromHook;
        }
        try {
            return {prompt: options.template.render(record.values, record.location)};
        } catch (err) {
            if (!options.skipInvalidRows) throw err;
            return {stage: "prepare", reason: (err as Error).message};
        }
    }

    /** The tokens the model is fed for a conversation (see formatPrompt); estimated for a remote model (see approxTokens). */
    #promptTokens(system: string | undefined, prompt: string, turns: readonly ChatMessage[]): number {
        const {vocabModel, wrapper} = this.#options;
        if (vocabModel === null) return approxTokens(`${system ?? ""}${turns.map((turn) => turn.content).join("")}${prompt}`);
        return tokenizePrompt(vocabModel, formatPrompt(wrapper, system, prompt, turns)).length;
    }

    /** The record's values with `rename` applied (the same object when there is nothing to rename). */
    #renamed(values: Record<string, unknown>): Record<string, unknown> {
        const rename = this.#options.rename;
        if (rename === undefined) return values;
        const renamed: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(values)) renamed[rename[name] ?? name] = value;
        return renamed;
    }

    #count(): void {
        if (this.#totalRows === this.#options.prefixRows) this.#prefixHash = this.hashSoFar();
        this.#totalRows++;
    }

    #hash(values: Record<string, unknown>): string {
        const inputHash = crypto.createHash("sha256").update(stringifyJson(values)).digest("hex");
        this.#allHashes.update(`${inputHash}\n`);
        return inputHash;
    }

    /** The row's idx: its position, or from `idxColumn` (a non-negative integer, unique in the input). */
    #idxOf(record: {ordinal: number; location: string; values: Record<string, unknown>}): number {
        const column = this.#options.idxColumn;
        if (column === undefined) return record.ordinal;
        const value = record.values[column];
        if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
            throw new PrepareError(
                `${record.location}: column "${column}" must hold the row's idx (a non-negative integer), found ${value === undefined ? "nothing" : stringifyJson(value)}`
            );
        if (this.#seenIdx.has(value)) throw new PrepareError(`${record.location}: idx ${value} (column "${column}") appears twice; each row needs its own idx`);
        this.#seenIdx.add(value);
        return value;
    }
}

/** The first template field of `values` that is empty (whitespace only, null or missing), named; null when none is. */
function emptyField(values: Record<string, unknown>, template: PromptTemplate): string | null {
    for (const field of template.fields) {
        let value: unknown = values;
        for (const part of field.split(".")) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined;
        if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return `field "${field}"`;
    }
    return null;
}

/** `--dedup`'s key of a prompt (with the row's own system message and turns): a 132-bit digest instead of the prompt, so memory per row stays small however long the prompts. */
function dedupKey(prompt: string, rowSystem: string | undefined, rowTurns: ChatMessage[] | undefined): string {
    const hash = crypto.createHash("sha256").update(rowSystem === undefined ? prompt : `${rowSystem}\u0000${prompt}`);
    if (rowTurns !== undefined) hash.update(`\u0000${JSON.stringify(rowTurns)}`);
    return hash.digest("base64").slice(0, 22);
}
