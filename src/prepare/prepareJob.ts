import crypto from "node:crypto";
import type {LlamaModel} from "node-llama-cpp";
import {approxTokens} from "../engine/approxTokens.js";
import {openDataset} from "../datasets/openDataset.js";
import {sha256OfFiles} from "../files/sha256OfFiles.js";
import {chatWrapperFor, formatPrompt} from "../llama/formatPrompt.js";
import {tokenizePrompt} from "../llama/tokenizePrompt.js";
import type {PrepareOptions} from "../options/AnnotateOptions.js";
import {loadHooks} from "../hooks/loadHooks.js";
import type {LoadedHooks} from "../hooks/Hooks.js";
import {promptFromHook} from "../hooks/promptFromHook.js";
import {PromptTemplate} from "./PromptTemplate.js";
import {RowKeys} from "./RowKeys.js";
import {memoryDataset, type PrepareSource} from "./memoryDataset.js";
import {cacheWriteError} from "./cacheWriteError.js";
import {KeptColumns} from "./KeptColumns.js";
import {PrepareError} from "./PrepareError.js";
import {PreparedCache, type PreparedCacheMeta} from "./PreparedCache.js";
import type {PreparedJob, PreparedRow, PreparedWindow} from "./PreparedJob.js";
import {histogramStats} from "./RowIndex.js";
import {DEFAULT_HOOK_TIMEOUT_MS} from "../hooks/Hooks.js";
import {stringifyJson} from "../json/stringifyJson.js";
import {runIdentity} from "../options/runIdentity.js";

export {PrepareError};

export type PrepareJobOptions = Required<Pick<PrepareOptions, "template" | "templateOrigin" | "chatTemplate" | "sort" | "dedup" | "skipInvalidRows">> &
    PrepareOptions & {
        /** The model, loaded at least with its vocabulary (tokenizer and chat template); null for a remote model, whose prompt tokens are estimated (see approxTokens). */
        vocabModel: LlamaModel | null;
        /** Fingerprint of the model file (see checkModelFile). */
        modelFingerprint: string;
        /** Largest prompt (in tokens) a row may have; longer rows fail with a reason. Defaults to no limit. */
        maxPromptTokens?: number;
        /** Reuse the prepared-rows cache under the output dir when it matches. Defaults to true. */
        useCache?: boolean;
        /** Rows per window (one record batch of the cache; what a run holds in memory at a time). Defaults to 4096. */
        windowRows?: number;
        /**
         * Also hash the first this many input records (as `inputHash` hashes all of them): `PreparedJob.prefixHash`,
         * which tells whether the rows an earlier run prepared are still the first ones (the input only grew). Defaults
         * to none.
         */
        prefixRows?: number;
        /** The module `hooks` names, already loaded by the caller (annotate loads it before anything else); loaded here when absent. Defaults to none. */
        loadedHooks?: LoadedHooks;
    };

/**
 * The prepare stage: reads the input as a stream, renders each row's prompt, counts its tokens with the model's
 * tokenizer (chat template included), assigns stable `idx`, hashes every record, optionally samples (shuffle seed
 * + max rows), deduplicates and sorts by token count. The rows go to an Arrow IPC cache under the output dir in
 * generation order; only a few bytes per row stay in memory (idx and token count; a prompt hash with `dedup`).
 */
export async function prepareJob(options: PrepareJobOptions): Promise<PreparedJob> {
    const dataset: PrepareSource =
        options.records !== undefined
            ? memoryDataset(options.input, options.records, options.recordLocation)
            : await openDataset(options.input, {
                  skipInvalidRows: options.skipInvalidRows,
                  ...(options.inputFormat !== undefined ? {format: options.inputFormat} : {})
              });
    const template = new PromptTemplate(options.template, options.templateOrigin);
    // a prompt hook replaces the template; loaded before any input is read (a bad module fails fast)
    const hooks = options.loadedHooks ?? (options.hooks !== undefined ? await loadHooks(options.hooks) : null);
    const promptHook = hooks?.prompt !== undefined ? {...hooks, prompt: hooks.prompt} : null;
    const hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    const cacheKey = options.useCache === false || dataset.files.length === 0 ? null : await cacheKeyFor(dataset.files, options, promptHook?.sha256);
    const cache = new PreparedCache(options.output, cacheKey ?? "uncached");
    const cached = cacheKey === null ? null : await cache.loadMeta();
    // a prefix other than the whole input is not in the cache: the rows are prepared again to hash it
    if (cached !== null && (options.prefixRows === undefined || options.prefixRows === cached.totalRows))
        return jobOf(cache, cached, true, options, options.prefixRows === undefined ? undefined : cached.inputHash);

    const columnInfo = await dataset.columns();
    const columns = columnInfo.map((c) => c.name);
    // a prompt hook replaces the template (whose fields need not exist); an empty input is still refused with one
    const checkEmpty = columns.length === 0 && (promptHook !== null || template.fields.length > 0);
    if ((!checkEmpty || !(await firstRowIsInvalid(dataset.rows(), options))) && promptHook === null) template.checkColumns(columns);
    const keep = new KeptColumns(columns, {keepColumns: options.keepColumns, idxColumn: options.idxColumn, input: options.input});

    const vocabModel = options.vocabModel;
    const wrapper = vocabModel === null ? null : chatWrapperFor(vocabModel, options.chatTemplate);
    const writer = await cache.writer(options.windowRows ?? 4096).catch((err: unknown) => {
        throw cacheWriteError(err, cache.dir);
    });
    try {
        const allHashes = crypto.createHash("sha256");
        const keys = new RowKeys(options.idColumn);
        const seenPrompts = new Map<string, number>();
        const seenIdx = new Set<number>();
        let totalRows = 0;
        let firstPrompt: string | null = null;
        let prefixHash: string | null = null;
        for await (const record of selectRecords(dataset, options)) {
            if (totalRows === options.prefixRows) prefixHash = allHashes.copy().digest("hex");
            totalRows++;
            if ("error" in record) {
                allHashes.update(`!${record.ordinal}\n`);
                await writer.addFailure({
                    idx: record.ordinal,
                    stage: "input",
                    reason: record.error,
                    location: record.location,
                    key: keys.ofUnreadable(record.ordinal)
                });
                continue;
            }
            const idx = options.idxColumn === undefined ? record.ordinal : idxOf(record.values, options.idxColumn, record.location, seenIdx);
            // failed rows keep them too (errors/ files)
            const kept = keep.of(record.values, record.location, idx);
            const canonical = stringifyJson(record.values);
            const inputHash = crypto.createHash("sha256").update(canonical).digest("hex");
            allHashes.update(`${inputHash}\n`);
            const key = keys.of(record.values, inputHash, record.ordinal, record.location);
            const failed = {location: record.location, columns: kept, key, inputHash};
            let prompt: string;
            let rowSystem: string | undefined;
            if (promptHook !== null) {
                const fromHook = await promptFromHook(promptHook, record.values, hookTimeoutMs);
                if ("error" in fromHook) {
                    await writer.addFailure({idx, stage: "hook", reason: fromHook.error, ...failed});
                    continue;
                }
                ({prompt, system: rowSystem} = fromHook);
            } else {
                try {
                    prompt = template.render(record.values, record.location);
                } catch (err) {
                    if (!options.skipInvalidRows) throw err;
                    await writer.addFailure({idx, stage: "prepare", reason: (err as Error).message, ...failed});
                    continue;
                }
            }
            const system = rowSystem ?? options.system;
            if (options.dedup) {
                // a 132-bit digest instead of the prompt: memory per row stays small however long the prompts
                const key = crypto
                    .createHash("sha256")
                    .update(rowSystem === undefined ? prompt : `${rowSystem}\u0000${prompt}`)
                    .digest("base64")
                    .slice(0, 22);
                const first = seenPrompts.get(key);
                if (first !== undefined) {
                    await writer.addFailure({
                        idx,
                        stage: "prepare",
                        reason: `duplicate of row idx ${first} (--dedup)`,
                        ...failed
                    });
                    continue;
                }
                seenPrompts.set(key, idx);
            }
            const promptTokens =
                vocabModel === null ? approxTokens(`${system ?? ""}${prompt}`) : tokenizePrompt(vocabModel, formatPrompt(wrapper, system, prompt)).length;
            firstPrompt ??= prompt;
            await writer.addRow({idx, prompt, promptTokens, inputHash, key, columns: kept, ...(rowSystem !== undefined ? {system: rowSystem} : {})});
        }
        // one rule for every format: an input with no rows is refused (a header-only CSV as an empty JSONL)
        if (totalRows === 0 && options.records === undefined && options.maxRows !== 0)
            throw new PrepareError(`input ${options.input} has no rows (${columns.length > 0 ? "only a header" : "it is empty"}); check the --input path`);
        if (totalRows === options.prefixRows) prefixHash = allHashes.copy().digest("hex");
        const meta = await writer.finish({totalRows, inputHash: allHashes.digest("hex"), columns, sort: options.sort, firstPrompt, keySource: keys.source});
        return jobOf(cache, meta, false, options, options.prefixRows === undefined ? undefined : prefixHash);
    } catch (err) {
        await writer.abort();
        throw cacheWriteError(err, cache.dir);
    }
}

/** The row's idx from `column` (options.idxColumn): a non-negative integer, unique in the input. */
function idxOf(values: Record<string, unknown>, column: string, location: string, seen: Set<number>): number {
    const value = values[column];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
        throw new PrepareError(
            `${location}: column "${column}" must hold the row's idx (a non-negative integer), found ${value === undefined ? "nothing" : stringifyJson(value)}`
        );
    if (seen.has(value)) throw new PrepareError(`${location}: idx ${value} (column "${column}") appears twice; each row needs its own idx`);
    seen.add(value);
    return value;
}

type DatasetRecord = {ordinal: number; location: string; values: Record<string, unknown>} | {ordinal: number; location: string; error: string};

/**
 * The records the job covers, in input order: all of them, the first `maxRows`, or with `shuffleSeed` a seeded
 * random sample of `maxRows` (chosen by shuffling record positions, counted in a first pass; stdin, which can be
 * read only once, is held in memory for that; records in memory are read twice).
 */
async function* selectRecords(dataset: PrepareSource, options: PrepareJobOptions): AsyncGenerator<DatasetRecord> {
    const {maxRows, shuffleSeed} = options;
    if (maxRows === undefined || shuffleSeed === undefined) {
        let count = 0;
        if (maxRows === 0) return;
        for await (const record of dataset.rows()) {
            yield record;
            if (maxRows !== undefined && ++count >= maxRows) return;
        }
        return;
    }
    if (dataset.files.length === 0 && dataset.rereadable !== true) {
        const records: DatasetRecord[] = [];
        for await (const record of dataset.rows()) records.push(record);
        const chosen = new Set(sample(records.length, maxRows, shuffleSeed));
        yield* records.filter((record) => chosen.has(record.ordinal));
        return;
    }
    const {rows} = await dataset.countRows();
    const chosen = new Uint8Array(rows);
    for (const ordinal of sample(rows, maxRows, shuffleSeed)) chosen[ordinal] = 1;
    for await (const record of dataset.rows()) if (chosen[record.ordinal] === 1) yield record;
}

/** The first `take` of the positions 0..count-1 shuffled with `seed` (a seeded Fisher-Yates). */
function sample(count: number, take: number, seed: number): Uint32Array {
    const positions = new Uint32Array(count);
    for (let i = 0; i < count; i++) positions[i] = i;
    let state = seed >>> 0 || 0x9e3779b9;
    const next = () => {
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        return state / 0x100000000;
    };
    for (let i = count - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const swap = positions[i]!;
        positions[i] = positions[j]!;
        positions[j] = swap;
    }
    return positions.subarray(0, Math.min(count, take));
}

/** The job over a written cache, with the limit that depends on the run (context size) applied. */
function jobOf(cache: PreparedCache, meta: PreparedCacheMeta, fromCache: boolean, options: PrepareJobOptions, prefixHash?: string | null): PreparedJob {
    const limit = options.maxPromptTokens ?? Infinity;
    const stats = histogramStats(meta.histogram, limit);
    return {
        totalRows: meta.totalRows,
        rowCount: stats.rows,
        failureCount: meta.failures + stats.overLimit,
        inputHash: meta.inputHash,
        ...(prefixHash !== undefined ? {prefixHash} : {}),
        columns: meta.columns,
        keySource: meta.keySource,
        minPromptTokens: stats.min,
        maxPromptTokens: stats.max,
        totalPromptTokens: stats.total,
        firstPrompt: meta.firstPrompt,
        fromCache,
        cacheDir: cache.dir,
        windows: () => limitedWindows(cache, meta, limit)
    };
}

async function* limitedWindows(cache: PreparedCache, meta: PreparedCacheMeta, limit: number): AsyncGenerator<PreparedWindow> {
    for await (const window of cache.windows(meta)) {
        if (window.rows.every((row) => row.promptTokens <= limit)) {
            yield window;
            continue;
        }
        const rows: PreparedRow[] = [];
        const failures = [...window.failures];
        for (const row of window.rows) {
            if (row.promptTokens <= limit) rows.push(row);
            else
                failures.push({
                    idx: row.idx,
                    stage: "prepare",
                    reason: `prompt has ${row.promptTokens} tokens, more than the ${limit} the context leaves for it; raise --context-size or shorten the prompt`,
                    location: `row idx ${row.idx}`,
                    key: row.key,
                    inputHash: row.inputHash,
                    columns: row.columns
                });
        }
        yield {rows, failures};
    }
}

/**
 * The prepared cache's key: the input files by content (an input edited in place with its size and mtime put back
 * must not reuse stale prompts), the model, the prompt hook and every option that changes the rows or their order
 * (see runIdentity).
 */
async function cacheKeyFor(files: string[], options: PrepareJobOptions, promptHookSha: string | undefined): Promise<string> {
    const content: [string, string][] = [];
    for (const file of files) content.push([file, await sha256OfFiles([file])]);
    return runIdentity.prepareCacheKey(options, {files: content, model: options.modelFingerprint, promptHook: promptHookSha});
}
/**
 * No column was found and the template uses one: say why, rather than that the field is missing. An empty input is refused; an
 * invalid first row stops with its own message (read here), or with --skip-invalid-rows returns true (every row
 * then becomes an error row).
 */
async function firstRowIsInvalid(rows: AsyncIterable<object>, options: PrepareJobOptions): Promise<boolean> {
    for await (const record of rows) return "error" in record;
    throw new PrepareError(`input ${options.input} has no rows (it is empty); check the --input path`);
}
