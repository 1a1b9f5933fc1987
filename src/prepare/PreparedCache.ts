import fs from "node:fs/promises";
import path from "node:path";
import {Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray, type Vector} from "apache-arrow";
import type {ChatMessage} from "../chat/ChatMessage.js";
import {LineSpill} from "./LineSpill.js";
import type {PreparedFailure, PreparedRow, PreparedWindow} from "./PreparedJob.js";
import {RowIndex, type RowSort} from "./RowIndex.js";
import {stringifyJson} from "../json/stringifyJson.js";
import {parseJsonText} from "../json/parseJsonText.js";

/** 7: a row's own conversation turns (a prompt hook's message list); 6: each row's key (and a failure's record hash); 5: columns keep integers past 2^53 exactly; failures keep the row's columns. */
const cacheVersion = 7;

/** What the cache knows about a prepared job besides its rows (`prepared-<key>.json`, written last). */
export type PreparedCacheMeta = {
    version: number;
    totalRows: number;
    inputHash: string;
    columns: string[];
    sort: RowSort;
    /** [prompt tokens, rows] pairs over the rows to generate. */
    histogram: Array<[number, number]>;
    /** Failures stored after the rows (malformed input, duplicates). */
    failures: number;
    firstPrompt: string | null;
    /** What the rows' keys are made from (see RowKeys.source). */
    keySource: string;
    /** The prepare's key without the input's content and extent: a prepare of the grown input grows from this one (see findBase). */
    baseKey?: string;
    /** The records an earlier prepare had made, whose rows this one copied (an input that grew); absent when none. */
    grownFrom?: number;
    /** The window files in generation order, with their sizes: a cache whose files do not match is rebuilt. */
    windows: Array<{file: string; rows: number; bytes: number}>;
};

/** The facts of a job that `PreparedCacheWriter.finish` needs besides the rows. */
export type PreparedCacheFinishOptions = Pick<
    PreparedCacheMeta,
    "totalRows" | "inputHash" | "columns" | "sort" | "firstPrompt" | "keySource" | "baseKey" | "grownFrom"
>;

/** An earlier prepare a new one may grow from: its cache and meta. */
export type PreparedBase = {cache: PreparedCache; meta: PreparedCacheMeta};

/**
 * The prepared rows of a job under `<output>/cache/`: a folder `prepared-<key>/` of Arrow IPC files, one per window
 * of a few thousand rows, in generation order, and `prepared-<key>.json` (written last, which makes the cache valid).
 * Keyed by a fingerprint of the input files, the template, the model and the prepare options, so a second run does
 * not re-read and re-tokenize the input; read window by window, so memory does not grow with the input.
 */
export class PreparedCache {
    public readonly dir: string;
    public readonly metaFile: string;

    public constructor(outputDir: string, key: string) {
        this.dir = path.join(outputDir, "cache", `prepared-${key.slice(0, 24)}`);
        this.metaFile = `${this.dir}.json`;
    }

    /** The cache's meta, or null when there is no complete cache of this version. */
    public async loadMeta(): Promise<PreparedCacheMeta | null> {
        try {
            const meta = JSON.parse(await fs.readFile(this.metaFile, "utf8")) as PreparedCacheMeta;
            if (meta.version !== cacheVersion) return null;
            for (const window of meta.windows) if ((await fs.stat(path.join(this.dir, window.file))).size !== window.bytes) return null;
            return meta;
        } catch {
            return null; // missing or torn: rebuilt
        }
    }

    /**
     * The complete prepare under `outputDir` with this `baseKey` (the same job over an input that may since have
     * grown) holding the most rows, other than `except`; null when there is none.
     */
    public static async findBase(outputDir: string, baseKey: string, except: PreparedCache): Promise<PreparedBase | null> {
        let best: PreparedBase | null = null;
        const names = await fs.readdir(path.join(outputDir, "cache")).catch(() => [] as string[]);
        for (const name of names) {
            const match = /^prepared-([0-9a-f]+)\.json$/u.exec(name);
            if (match === null) continue;
            const cache = new PreparedCache(outputDir, match[1]!);
            if (cache.dir === except.dir) continue;
            const meta = await cache.loadMeta();
            if (meta === null || meta.baseKey !== baseKey || meta.totalRows === 0) continue;
            if (best === null || meta.totalRows > best.meta.totalRows) best = {cache, meta};
        }
        return best;
    }

    /** Deletes this cache (its meta first, which makes it invalid). */
    public async remove(): Promise<void> {
        await fs.rm(this.metaFile, {force: true});
        await fs.rm(this.dir, {recursive: true, force: true});
    }

    /** Starts writing this cache: rows and failures are spilled to disk as they come. */
    public async writer(windowRows: number): Promise<PreparedCacheWriter> {
        await fs.mkdir(path.dirname(this.dir), {recursive: true});
        await removeOrphans(path.dirname(this.dir));
        await fs.rm(this.metaFile, {force: true});
        return new PreparedCacheWriter(this, windowRows);
    }

    /** The cached rows and failures in generation order, one file per window. */
    public async *windows(meta: PreparedCacheMeta): AsyncGenerator<PreparedWindow> {
        for (const {file} of meta.windows) {
            const batch = tableFromIPC(await fs.readFile(path.join(this.dir, file)));
            const idx = batch.getChild("idx")!,
                prompt = batch.getChild("prompt")!,
                tokens = batch.getChild("prompt_tokens")!;
            const hash = batch.getChild("input_hash")!,
                columns = batch.getChild("columns")!;
            const stage = batch.getChild("fail_stage")!,
                reason = batch.getChild("fail_reason")!,
                location = batch.getChild("location")!;
            const system = batch.getChild("system")!,
                turns = batch.getChild("turns")!,
                key = batch.getChild("row_key")!;
            const window: PreparedWindow = {rows: [], failures: []};
            for (let i = 0; i < batch.numRows; i++) {
                const failStage = stage.get(i) as string | null;
                if (failStage !== null) {
                    const failedColumns = columns.get(i) as string | null;
                    const failedHash = hash.get(i) as string | null;
                    window.failures.push({
                        idx: idx.get(i) as number,
                        stage: failStage as PreparedFailure["stage"],
                        reason: reason.get(i) as string,
                        location: location.get(i) as string,
                        key: key.get(i) as string,
                        ...(failedHash !== null ? {inputHash: failedHash} : {}),
                        ...(failedColumns !== null ? {columns: decodeJson(failedColumns) as Record<string, unknown>} : {})
                    });
                } else {
                    const rowSystem = system.get(i) as string | null;
                    const rowTurns = turns.get(i) as string | null;
                    window.rows.push({
                        idx: idx.get(i) as number,
                        prompt: prompt.get(i) as string,
                        promptTokens: tokens.get(i) as number,
                        inputHash: hash.get(i) as string,
                        key: key.get(i) as string,
                        columns: decodeJson(columns.get(i) as string) as Record<string, unknown>,
                        ...(rowSystem !== null ? {system: rowSystem} : {}),
                        ...(rowTurns !== null ? {turns: decodeJson(rowTurns) as ChatMessage[]} : {})
                    });
                }
            }
            yield window;
        }
    }
}

/** Removes the spill files and temp folders of prepares whose process is gone (killed part-way). */
async function removeOrphans(cacheDir: string): Promise<void> {
    for (const name of await fs.readdir(cacheDir)) {
        const match = /^prepared-[^.]+(?:\.json)?\.(\d+)\.(?:tmp|[a-z0-9-]+\.spill)$/u.exec(name);
        if (match === null || Number(match[1]) === process.pid || processAlive(Number(match[1]))) continue;
        await fs.rm(path.join(cacheDir, name), {recursive: true, force: true});
    }
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Builds a `PreparedCache` with bounded memory: rows are spilled to a temp file as they come (only idx and token
 * count stay in memory), then distributed into window-sized buckets by their position in generation order, and each
 * bucket is sorted and written as one record batch.
 */
export class PreparedCacheWriter {
    readonly #cache: PreparedCache;
    readonly #windowRows: number;
    readonly #index = new RowIndex();
    readonly #rows: LineSpill;
    readonly #failures: LineSpill;
    readonly #temps: LineSpill[] = [];

    public constructor(cache: PreparedCache, windowRows: number) {
        this.#cache = cache;
        this.#windowRows = windowRows;
        this.#rows = this.#temp("rows");
        this.#failures = this.#temp("failures");
    }

    public async addRow(row: PreparedRow): Promise<void> {
        this.#index.push(row.idx, row.promptTokens);
        await this.#rows.write(
            encodeJson([
                row.idx,
                row.promptTokens,
                row.inputHash,
                row.key,
                row.prompt,
                row.columns,
                row.system ?? null,
                ...(row.turns !== undefined ? [row.turns] : [])
            ])
        );
    }

    public async addFailure(failure: PreparedFailure): Promise<void> {
        await this.#failures.write(
            encodeJson([
                failure.idx,
                failure.stage,
                failure.reason,
                failure.location,
                failure.key,
                failure.inputHash ?? null,
                ...(failure.columns !== undefined ? [failure.columns] : [])
            ])
        );
    }

    /** Writes the window files (rows in generation order, then failures by idx), then the meta; removes the spill files. */
    public async finish(options: PreparedCacheFinishOptions): Promise<PreparedCacheMeta> {
        const tmpDir = `${this.#cache.dir}.${process.pid}.tmp`;
        try {
            await this.#rows.close();
            await this.#failures.close();
            await fs.rm(tmpDir, {recursive: true, force: true});
            await fs.mkdir(tmpDir);
            const windows: PreparedCacheMeta["windows"] = [];
            const write = async (batch: RecordBatch) => {
                const file = `window-${String(windows.length).padStart(6, "0")}.arrow`;
                const bytes = tableToIPC(new Table(schema, [batch]), "file");
                await fs.writeFile(path.join(tmpDir, file), bytes);
                windows.push({file, rows: batch.numRows, bytes: bytes.byteLength});
            };
            for await (const rows of this.#rowWindows(options.sort)) await write(rowBatch(rows));
            let failures: PreparedFailure[] = [];
            for await (const line of this.#failures.read()) {
                const [idx, stage, reason, location, key, inputHash, columns] = decodeJson(line) as [
                    number,
                    PreparedFailure["stage"],
                    string,
                    string,
                    string,
                    string | null,
                    Record<string, unknown>?
                ];
                failures.push({
                    idx,
                    stage,
                    reason,
                    location,
                    key,
                    ...(inputHash !== null ? {inputHash} : {}),
                    ...(columns !== undefined ? {columns} : {})
                });
                if (failures.length >= this.#windowRows) {
                    await write(failureBatch(failures));
                    failures = [];
                }
            }
            if (failures.length > 0) await write(failureBatch(failures));
            await fs.rm(this.#cache.dir, {recursive: true, force: true});
            await fs.rename(tmpDir, this.#cache.dir);
            const meta: PreparedCacheMeta = {
                version: cacheVersion,
                ...options,
                histogram: [...this.#index.histogram].sort((a, b) => a[0] - b[0]),
                failures: this.#failures.lines,
                windows
            };
            await fs.writeFile(`${this.#cache.metaFile}.${process.pid}.tmp`, JSON.stringify(meta));
            await fs.rename(`${this.#cache.metaFile}.${process.pid}.tmp`, this.#cache.metaFile);
            return meta;
        } finally {
            await this.abort();
            await fs.rm(tmpDir, {recursive: true, force: true});
        }
    }

    /** Removes the spill files (a failed prepare leaves no cache behind). Safe to call twice. */
    public async abort(): Promise<void> {
        for (const spill of this.#temps) await spill.remove();
    }

    /** The spilled rows in generation order, one window at a time. */
    async *#rowWindows(sort: RowSort): AsyncGenerator<PreparedRow[]> {
        const count = this.#index.length;
        if (count === 0) return;
        const rank = this.#index.ranks(sort);
        const buckets = Math.ceil(count / this.#windowRows);
        if (buckets === 1) {
            yield await this.#sortedBucket(this.#rows.read(), rank, false);
            return;
        }
        const files = Array.from({length: buckets}, (_, b) => this.#temp(`bucket-${b}`, 1 << 16));
        let position = 0;
        for await (const line of this.#rows.read()) {
            const at = rank[position++]!;
            await files[Math.floor(at / this.#windowRows)]!.write(`${at}\t${line}`);
        }
        for (const file of files) {
            await file.close();
            yield await this.#sortedBucket(file.read(), rank, true);
            await file.remove();
        }
    }

    async #sortedBucket(lines: AsyncIterable<string>, rank: Uint32Array, ranked: boolean): Promise<PreparedRow[]> {
        const entries: Array<{at: number; row: PreparedRow}> = [];
        let position = 0;
        for await (const line of lines) {
            const tab = ranked ? line.indexOf("\t") : -1;
            const at = ranked ? Number(line.slice(0, tab)) : rank[position++]!;
            const [idx, promptTokens, inputHash, key, prompt, columns, system, turns] = decodeJson(line.slice(tab + 1)) as [
                number,
                number,
                string,
                string,
                string,
                Record<string, unknown>,
                string | null,
                ChatMessage[]?
            ];
            const row: PreparedRow = {idx, promptTokens, inputHash, key, prompt, columns};
            if (system !== null) row.system = system;
            if (turns !== undefined) row.turns = turns;
            entries.push({at, row});
        }
        return entries.sort((a, b) => a.at - b.at).map((entry) => entry.row);
    }

    #temp(name: string, flushBytes?: number): LineSpill {
        const spill = new LineSpill(`${this.#cache.dir}.${process.pid}.${name}.spill`, flushBytes);
        this.#temps.push(spill);
        return spill;
    }
}

/**
 * The one encoding of what the cache holds of the input (rows' and failures' columns, spill lines): whatever JSON
 * text the input's values need, read back by `decodeJson`.
 */
function encodeJson(value: unknown): string {
    return stringifyJson(value);
}

function decodeJson(text: string): unknown {
    return parseJsonText(text);
}

const fields = [
    new Field("idx", new Float64(), false),
    new Field("prompt", new Utf8(), true),
    new Field("prompt_tokens", new Int32(), false),
    new Field("input_hash", new Utf8(), true),
    new Field("columns", new Utf8(), true),
    new Field("fail_stage", new Utf8(), true),
    new Field("fail_reason", new Utf8(), true),
    new Field("location", new Utf8(), true),
    // a prompt hook's per-row system message
    new Field("system", new Utf8(), true),
    // a prompt hook's per-row conversation turns before the prompt (JSON)
    new Field("turns", new Utf8(), true),
    new Field("row_key", new Utf8(), false)
];
const schema = new Schema(fields);

/** One record batch of the cache's fixed schema (every batch of a file must have the same schema). */
function batchOf(length: number, columns: unknown[][]): RecordBatch {
    const children = fields.map((field, i) => (vectorFromArray(columns[i]!, field.type) as Vector).data[0]!);
    return new RecordBatch(schema, makeData({type: new Struct(fields), length, nullCount: 0, children}));
}

function rowBatch(rows: PreparedRow[]): RecordBatch {
    const nulls = rows.map(() => null);
    return batchOf(rows.length, [
        rows.map((row) => row.idx),
        rows.map((row) => row.prompt),
        rows.map((row) => row.promptTokens),
        rows.map((row) => row.inputHash),
        rows.map((row) => encodeJson(row.columns)),
        nulls,
        nulls,
        nulls,
        rows.map((row) => row.system ?? null),
        rows.map((row) => (row.turns !== undefined ? encodeJson(row.turns) : null)),
        rows.map((row) => row.key)
    ]);
}

function failureBatch(failures: PreparedFailure[]): RecordBatch {
    const nulls = failures.map(() => null);
    return batchOf(failures.length, [
        failures.map((failure) => failure.idx),
        nulls,
        failures.map(() => 0),
        failures.map((failure) => failure.inputHash ?? null),
        failures.map((failure) => (failure.columns !== undefined ? encodeJson(failure.columns) : null)),
        failures.map((failure) => failure.stage),
        failures.map((failure) => failure.reason),
        failures.map((failure) => failure.location),
        nulls,
        nulls,
        failures.map((failure) => failure.key)
    ]);
}
