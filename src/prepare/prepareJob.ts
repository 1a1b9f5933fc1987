import type {LlamaModel} from "node-llama-cpp";
import {openDataset} from "../datasets/openDataset.js";
import {sha256OfFiles} from "../files/sha256OfFiles.js";
import {chatWrapperFor} from "../llama/formatPrompt.js";
import type {AnnotateOptions, PrepareOptions} from "../options/AnnotateOptions.js";
import {loadHooks} from "../hooks/loadHooks.js";
import type {LoadedHooks} from "../hooks/Hooks.js";
import {PromptTemplate} from "./PromptTemplate.js";
import {memoryDataset, type PrepareSource} from "./memoryDataset.js";
import {cacheWriteError} from "./cacheWriteError.js";
import {KeptColumns} from "./KeptColumns.js";
import {ITEM_COLUMNS} from "../output/itemRows.js";
import {PrepareError} from "./PrepareError.js";
import {PreparedCache, type PreparedBase, type PreparedCacheMeta, type PreparedCacheWriter} from "./PreparedCache.js";
import {type DatasetRecord, RowPreparer} from "./RowPreparer.js";
import {ExcludedInputs} from "./ExcludedInputs.js";
import type {PreparedJob, PreparedRow, PreparedWindow} from "./PreparedJob.js";
import {histogramStats} from "./RowIndex.js";
import {DEFAULT_HOOK_TIMEOUT_MS} from "../hooks/Hooks.js";
import {runIdentity} from "../options/runIdentity.js";
import type {ChatMessage} from "../chat/ChatMessage.js";
import {fewShotExamples} from "./fewShotExamples.js";

export {PrepareError};

export type PrepareJobOptions = Required<Pick<PrepareOptions, "template" | "templateOrigin" | "chatTemplate" | "sort" | "dedup" | "skipInvalidRows">> &
    PrepareOptions &
    /** The answer schema: the few-shot examples' answers are written as the JSON it asks for (see fewShotExamples). Defaults to none (free text). */
    Pick<AnnotateOptions, "schema" | "choices"> & {
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
        /** The rows of a one-to-many run, whose readers add `item` and `row_id` columns: input columns of those names are refused too. Defaults to false. */
        oneToMany?: boolean;
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
    const rowHook = hooks?.row !== undefined ? {...hooks, row: hooks.row} : null;
    const hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    const fewShot = await fewShotExamples(options, promptHook?.file ?? null);
    const exampleTurns = fewShot?.turns;
    // the examples by content (a file's rows, as annotate() hands them on), and the turns they make
    const keyOptions = fewShot === null ? options : {...options, examples: fewShot.rows};
    const facts = {promptHook: promptHook?.sha256, ...(exampleTurns !== undefined ? {exampleTurns} : {})};
    const cacheKey = options.useCache === false || dataset.files.length === 0 ? null : await cacheKeyFor(dataset.files, keyOptions, facts);
    const cache = new PreparedCache(options.output, cacheKey ?? "uncached");
    const cached = cacheKey === null ? null : await cache.loadMeta();
    // a prefix other than the whole input is not in the cache: the rows are prepared again to hash it
    if (cached !== null && (options.prefixRows === undefined || options.prefixRows === cached.totalRows))
        return jobOf(cache, cached, true, options, options.prefixRows === undefined ? undefined : cached.inputHash);

    const columns = renamedColumns(
        (await dataset.columns()).map((c) => c.name),
        options.rename,
        options.input
    );
    // a prompt hook replaces the template (whose fields need not exist); an empty input is still refused with one
    const checkEmpty = columns.length === 0 && (promptHook !== null || template.fields.length > 0);
    // a row hook may add the fields the template and --keep-columns name
    if ((!checkEmpty || !(await firstRowIsInvalid(dataset.rows(), options))) && promptHook === null && rowHook === null) template.checkColumns(columns);
    const keep = new KeptColumns(columns, {
        keepColumns: options.keepColumns,
        idxColumn: options.idxColumn,
        input: options.input,
        fieldsMayBeAdded: rowHook !== null,
        ...(options.oneToMany === true ? {reserved: ITEM_COLUMNS} : {})
    });

    const vocabModel = options.vocabModel;
    const excluded = options.exclude !== undefined && options.exclude.length > 0 ? await ExcludedInputs.load(options.exclude) : null;
    const makePreparer = (writer: PreparedCacheWriter) =>
        new RowPreparer({
            writer,
            template,
            promptHook,
            rowHook,
            excluded,
            hookTimeoutMs,
            keep,
            vocabModel,
            wrapper: vocabModel === null ? null : chatWrapperFor(vocabModel, options.chatTemplate),
            system: options.system,
            ...(exampleTurns !== undefined ? {turns: exampleTurns} : {}),
            idxColumn: options.idxColumn,
            idColumn: options.idColumn,
            dedup: options.dedup,
            skipInvalidRows: options.skipInvalidRows,
            skipEmpty: options.skipEmpty === true,
            rename: options.rename,
            prefixRows: options.prefixRows
        });
    // an input that grew since an earlier prepare of the same job: its rows are copied, not rendered and tokenized again
    // (not with a row hook: an earlier prepare's rows were made by it, and its key checks need it run again)
    const baseKey =
        cacheKey === null || options.shuffleSeed !== undefined || rowHook !== null || excluded !== null ? null : baseKeyFor(dataset.files, options, facts);
    const base = baseKey === null ? null : await PreparedCache.findBase(options.output, baseKey, cache);
    const job: CacheWrite = {cache, dataset, options, columns, makePreparer, baseKey};
    const grown = base !== null ? await writeCache(job, base) : null;
    // the earlier prepare is superseded by this one, which holds its rows
    if (grown !== null) await base!.cache.remove();
    const written = grown ?? (await writeCache(job, null))!;
    return jobOf(cache, written.meta, false, options, options.prefixRows === undefined ? undefined : written.prefixHash);
}

/** What `writeCache` writes, and how. */
type CacheWrite = {
    cache: PreparedCache;
    dataset: PrepareSource;
    options: PrepareJobOptions;
    /** The input's column names. */
    columns: string[];
    makePreparer: (writer: PreparedCacheWriter) => RowPreparer;
    /** Recorded in the cache, so that a later prepare of the grown input finds it (see PreparedCache.findBase). */
    baseKey: string | null;
};

/**
 * Prepares every record into `cache`. With `base` (an earlier prepare of the same job), its records are only hashed,
 * and once they are found to be the input's first records its rows are copied; when they are not, nothing is written
 * and null is returned (the caller prepares everything).
 */
async function writeCache(job: CacheWrite, base: PreparedBase | null): Promise<{meta: PreparedCacheMeta; prefixHash: string | null} | null> {
    const {cache, dataset, options, columns, baseKey} = job;
    const writer = await cache.writer(options.windowRows ?? 4096).catch((err: unknown) => {
        throw cacheWriteError(err, cache.dir);
    });
    try {
        const preparer = job.makePreparer(writer);
        for await (const record of selectRecords(dataset, options)) {
            if (base === null || preparer.totalRows >= base.meta.totalRows) {
                await preparer.prepareRecord(record);
                continue;
            }
            preparer.hashRecord(record);
            if (preparer.totalRows < base.meta.totalRows) continue;
            if (preparer.hashSoFar() !== base.meta.inputHash) {
                await writer.abort();
                return null;
            }
            preparer.startWith(base.meta.firstPrompt);
            for await (const window of base.cache.windows(base.meta)) await preparer.copyRows(window.rows, window.failures);
        }
        // fewer records than the earlier prepare had: not a grown input
        if (base !== null && preparer.totalRows < base.meta.totalRows) {
            await writer.abort();
            return null;
        }
        const {totalRows} = preparer;
        // one rule for every format: an input with no rows is refused (a header-only CSV as an empty JSONL)
        if (totalRows === 0 && options.records === undefined && options.maxRows !== 0)
            throw new PrepareError(`input ${options.input} has no rows (${columns.length > 0 ? "only a header" : "it is empty"}); check the --input path`);
        const {inputHash, prefixHash, firstPrompt} = preparer.finish();
        const meta = await writer.finish({
            totalRows,
            inputHash,
            columns,
            sort: options.sort,
            firstPrompt,
            keySource: preparer.keySource,
            ...(baseKey !== null ? {baseKey} : {}),
            ...(base !== null ? {grownFrom: base.meta.totalRows} : {})
        });
        return {meta, prefixHash};
    } catch (err) {
        await writer.abort();
        throw cacheWriteError(err, cache.dir);
    }
}

/** The input's columns with `rename` applied; a name to rename that is not a column, or a new name that already is one, is refused. */
function renamedColumns(columns: string[], rename: Readonly<Record<string, string>> | undefined, input: string): string[] {
    if (rename === undefined) return columns;
    for (const [from, to] of Object.entries(rename)) {
        if (!columns.includes(from))
            throw new PrepareError(`--rename ${from}:${to}: ${input} has no column "${from}"; columns available: ${columns.join(", ")}`);
        if (columns.includes(to) && rename[to] === undefined)
            throw new PrepareError(`--rename ${from}:${to}: ${input} already has a column "${to}"; rename that one too, or choose another name`);
    }
    return columns.map((name) => rename[name] ?? name);
}

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
        grownFrom: fromCache ? 0 : (meta.grownFrom ?? 0),
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

/** What the cache keys hold beyond the options and the input files (see PrepareFacts). */
type KeyFacts = {promptHook: string | undefined; exampleTurns?: readonly ChatMessage[]};

/**
 * The key of the prepares this one may grow from (see PreparedCache.findBase): the prepared cache's key without the
 * input's content and extent (the files by name instead).
 */
function baseKeyFor(files: string[], options: PrepareJobOptions, facts: KeyFacts): string {
    return runIdentity.prepareCacheKey(options, {files: files.map((file) => [file, ""]), model: options.modelFingerprint, ...facts}, false);
}

/**
 * The prepared cache's key: the input files by content (an input edited in place with its size and mtime put back
 * must not reuse stale prompts), the model, the prompt hook, the few-shot turns and every option that changes the
 * rows or their order (see runIdentity).
 */
async function cacheKeyFor(files: string[], options: PrepareJobOptions, facts: KeyFacts): Promise<string> {
    const content: [string, string][] = [];
    for (const file of files) content.push([file, await sha256OfFiles([file])]);
    return runIdentity.prepareCacheKey(options, {files: content, model: options.modelFingerprint, ...facts});
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
