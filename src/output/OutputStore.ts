import fs from "node:fs/promises";
import path from "node:path";
import {InvalidOptionError} from "../AirlabelError.js";
import {sha256Of} from "../files/sha256Of.js";
import {fsyncDir, writeFileDurable} from "../files/durableFs.js";
import type {Manifest, RetryEntry, ShardEntry, ShardFileEntry} from "./Manifest.js";
import {crashPoint} from "../files/crashPoint.js";
import {MANIFEST_FILE, PREVIOUS_MANIFEST_FILE, committedCounts, displayDir, loadManifestRecovering, readShardFile, saveManifest} from "./Manifest.js";
import type {OutputLock} from "./OutputLock.js";
import type {AnnotatedRow, FailedRow, OutputFormat, RowKey} from "./OutputRow.js";
import {OUTPUT_FORMATS, dataRecordOf, errorRecordOf} from "./OutputRow.js";
import {lockOutputDir} from "./openOutputDir.js";
import {NoRunToRetryError, OutputWriteError, errorSummaryOf} from "./outputErrors.js";
import {decodeJsonl, encodeDataShard, planColumns, shardExtension} from "./shardCodec.js";
import {
    type CheckedShardIdx,
    DATA_DIR,
    ERRORS_DIR,
    KEYS_DIR,
    checkIdentity,
    dropDamagedShards,
    refuseShardsWithoutManifest,
    removeLeftoverTempFiles,
    removeRunFiles,
    removeUnlistedShards,
    shardIdx
} from "./openStoreDir.js";
import {stringifyJson} from "../json/stringifyJson.js";

export interface OutputStoreOptions {
    /** Output directory; created when missing. Required (no default). */
    dir: string;
    /** Format of the data shards (error shards are always JSONL). Defaults to "jsonl". */
    format?: OutputFormat;
    /** Rows (data + errors) buffered before a shard is committed. Defaults to 1000. */
    shardSize?: number;
    /** Named parts of the run's fingerprint (`{input, template, schema, model, sampling, format}`); a resumed run must match. Required (no default). */
    /**
     * How an identity an earlier airlabel recorded reads in this one's terms (entries since retired left out), before
     * it is compared with `identity`; a manifest that passes then records `identity`. Defaults to as recorded.
     */
    upgradeIdentity?: (recorded: Record<string, string>) => Record<string, string>;
    identity: Record<string, string>;
    /** Delete airlabel's own files of a previous run in `dir` and start fresh. Defaults to false. */
    overwrite?: boolean;
    /** Free-form facts stored in the manifest (airlabel version, options summary; never secrets). Defaults to {}. */
    meta?: Record<string, unknown>;
    /** Receives one line per repair made when opening (a damaged shard or manifest found and recovered from), as a warning. Defaults to ignoring them. */
    onLog?: (line: string, level: "warning") => void;
    /** The dir's lock, already taken with `lockOutputDir` (before the prepared cache was written); the store releases it on close. Defaults to taking it here. */
    lock?: OutputLock;
    /**
     * A `--retry-failed` pass over the run in `dir` (which must exist; `identity` is then the run's own, which must
     * match as for a resume): the pass is recorded in
     * the manifest (`retries`) with its own identity at its first commit. `meta` is left as the run recorded it.
     * Defaults to none (a run or its resume).
     */
    retry?: {identity: Record<string, string>; changes: string[]};
}

/** What is committed, by idx: every row, and those whose latest row is an error row. */
export interface CommittedRows {
    all: Set<number>;
    failed: Set<number>;
    /**
     * Each committed row's key with its idx and the content it was answered from (see RowKey), from the `keys/`
     * shards; null when a commit has none (rows of a run that does not key them, or of an older airlabel).
     */
    keys: Map<string, {idx: number; content: string}> | null;
}

/** Counts of what is committed so far. */
export interface OutputStoreStats {
    committedRows: number;
    committedErrors: number;
    shards: number;
}

type BufferedRow = {kind: "data" | "error"; idx: number; record: Record<string, unknown>; rowKey: RowKey | undefined};

function shardBaseName(seq: number): string {
    return `part-${String(seq).padStart(5, "0")}`;
}

/**
 * Checkpointed output of one annotation run: rows are buffered and committed in shards
 * (`data/part-NNNNN.<ext>`, `errors/part-NNNNN.jsonl`) written atomically, then recorded in `manifest.json`,
 * which alone says what is committed. A run killed at any moment resumes from the last commit.
 */
export class OutputStore {
    public readonly dir: string;
    public readonly format: OutputFormat;
    public readonly shardSize: number;
    #manifest: Manifest;
    readonly #lock: OutputLock;
    #buffer: BufferedRow[] = [];
    #queue: Promise<void> = Promise.resolve();
    #closed = false;
    readonly #madeDirs = new Set<string>();
    /**
     * The idx held by each shard file `open` checked (by file name), read in that same pass, so that the first
     * `committedIdx` (a resume) does not read and hash them again; released by it.
     */
    #checkedIdx: ReadonlyMap<string, CheckedShardIdx>;
    /** A retry pass: recorded in the manifest with its first commit. */
    #retry: RetryEntry | null;
    /** The idx committed so far, and those whose latest row is an error row (from committedRows on): a row added for one of them replaces it. */
    #committed: {all: Set<number>; failed: Set<number>} = {all: new Set(), failed: new Set()};

    private constructor(
        dir: string,
        format: OutputFormat,
        shardSize: number,
        manifest: Manifest,
        lock: OutputLock,
        checkedIdx: ReadonlyMap<string, CheckedShardIdx>,
        retry: OutputStoreOptions["retry"]
    ) {
        this.dir = dir;
        this.format = format;
        this.shardSize = shardSize;
        this.#manifest = manifest;
        this.#lock = lock;
        this.#checkedIdx = checkedIdx;
        this.#retry =
            retry !== undefined ? {firstSeq: -1, identity: {...retry.identity}, changes: [...retry.changes], startedAt: new Date().toISOString()} : null;
    }

    public static async open(options: OutputStoreOptions): Promise<OutputStore> {
        const format = options.format ?? "jsonl";
        const shardSize = options.shardSize ?? 1000;
        if (!OUTPUT_FORMATS.includes(format) || !Number.isSafeInteger(shardSize) || shardSize < 1) await options.lock?.release();
        if (!OUTPUT_FORMATS.includes(format))
            throw new InvalidOptionError(`options.format must be one of ${OUTPUT_FORMATS.join(", ")}, got ${JSON.stringify(format)}`);
        if (!Number.isSafeInteger(shardSize) || shardSize < 1)
            throw new InvalidOptionError(`options.shardSize must be a positive integer, got ${String(shardSize)}`);
        const dir = options.dir;
        const lock = options.lock ?? (await lockOutputDir(dir));
        const log = (line: string) => options.onLog?.(line, "warning");
        try {
            await removeLeftoverTempFiles(dir);
            let manifest: Manifest | undefined;
            let checkedIdx = new Map<string, CheckedShardIdx>();
            if (options.overwrite === true) {
                await removeRunFiles(dir);
            } else {
                const loaded = await loadManifestRecovering(dir);
                manifest = loaded.manifest;
                if (manifest === undefined) await refuseShardsWithoutManifest(dir);
                if (manifest === undefined && options.retry !== undefined)
                    throw new NoRunToRetryError(`--retry-failed: ${displayDir(dir)} holds no run to retry; run the same command without --retry-failed first`);
                if (loaded.recovered !== undefined && manifest !== undefined) {
                    log(`${loaded.recovered}; recovered the commit before it from ${PREVIOUS_MANIFEST_FILE} (rows committed after it are generated again)`);
                    await saveManifest(dir, manifest, false);
                }
            }
            const now = new Date().toISOString();
            if (manifest === undefined) {
                manifest = {
                    format: "airlabel-manifest",
                    version: 1,
                    outputFormat: format,
                    identity: {...options.identity},
                    meta: {...options.meta},
                    createdAt: now,
                    updatedAt: now,
                    complete: false,
                    shards: []
                };
                await saveManifest(dir, manifest);
            } else {
                const recorded = options.upgradeIdentity?.(manifest.identity) ?? manifest.identity;
                checkIdentity(dir, {...manifest, identity: recorded}, options.identity, format);
                manifest.identity = {...options.identity};
                if (options.meta !== undefined && options.retry === undefined) manifest.meta = {...options.meta};
                ({manifest, checkedIdx} = await dropDamagedShards(dir, manifest, log));
            }
            await removeUnlistedShards(dir, manifest);
            crashPoint("store-opened");
            return new OutputStore(dir, format, shardSize, manifest, lock, checkedIdx, options.retry);
        } catch (error) {
            await lock.release();
            throw error;
        }
    }

    public get stats(): OutputStoreStats {
        const {rows, errors} = committedCounts(this.#manifest);
        return {committedRows: rows, committedErrors: errors, shards: this.#manifest.shards.length};
    }

    /** A copy of the current manifest. */
    public get manifest(): Manifest {
        return structuredClone(this.#manifest);
    }

    /** Rows added but not committed yet. */
    public get bufferedRows(): number {
        return this.#buffer.length;
    }

    /**
     * The idx of every committed data row and error row, read back from the shard files listed in the manifest.
     * The first call takes the idx of the shards that were there when the store was opened from `open`, which read
     * and checked them (size and sha256; damaged ones are moved aside there); every other shard file is read here.
     * Throws `ShardCorruptError` when one of those is missing or its sha256 differs.
     */
    public async committedIdx(): Promise<Set<number>> {
        return (await this.committedRows()).all;
    }

    /**
     * `committedIdx`, which of those rows hold an error row as their latest (a retry pass or a changed row replaced the
     * others), and the rows' keys. A row added from now on for one of these idx replaces the committed one (the commit
     * records how many it replaced: see ShardEntry.replaced).
     */
    public async committedRows(): Promise<CommittedRows> {
        const all = new Set<number>();
        const failed = new Set<number>();
        let keys: CommittedRows["keys"] = new Map();
        for (const shard of this.#manifest.shards) {
            if (shard.keys === undefined || shard.keys === null) keys = null;
            else if (keys !== null)
                for (const line of decodeJsonl(await readShardFile(this.dir, shard.keys)))
                    keys.set(String(line.key), {idx: Number(line.idx), content: String(line.content)});
            for (const file of [shard.data, shard.errors]) {
                if (file === null) continue;
                const checked = this.#checkedIdx.get(file.file);
                const idx =
                    checked !== undefined && checked.sha256 === file.sha256
                        ? checked.idx
                        : await shardIdx(await readShardFile(this.dir, file), file === shard.data ? this.#manifest.outputFormat : "jsonl");
                for (const value of idx) {
                    all.add(value);
                    if (file === shard.errors) failed.add(value);
                    else failed.delete(value);
                }
            }
        }
        this.#checkedIdx = new Map();
        this.#committed = {all: new Set(all), failed: new Set(failed)};
        return {all, failed, keys};
    }

    /** Buffer an annotated row; commits a shard (and waits for it) once `shardSize` rows are buffered. */
    public add(row: AnnotatedRow): Promise<void> {
        return this.#push({kind: "data", idx: row.idx, record: dataRecordOf(row), rowKey: row.rowKey});
    }

    /** Buffer a failed row; commits a shard (and waits for it) once `shardSize` rows are buffered. */
    public fail(row: FailedRow): Promise<void> {
        return this.#push({kind: "error", idx: row.idx, record: errorRecordOf(row), rowKey: row.rowKey});
    }

    #push(row: BufferedRow): Promise<void> {
        if (this.#closed) return Promise.reject(new Error(`OutputStore for ${displayDir(this.dir)} is closed`));
        this.#buffer.push(row);
        if (this.#buffer.length < this.shardSize) return Promise.resolve();
        return this.#enqueue(async () => {
            while (this.#buffer.length >= this.shardSize) await this.#commitRows(this.shardSize);
        });
    }

    /** Commit every buffered row now (no-op when none are buffered). */
    public commit(): Promise<void> {
        return this.#enqueue(() => this.#commitRows(this.#buffer.length));
    }

    /** Commit what is buffered, then record the run as complete with `summary` in the manifest. */
    public markComplete(summary: Record<string, unknown>): Promise<void> {
        return this.#enqueue(async () => {
            await this.#commitRows(this.#buffer.length);
            await this.#saveManifest({...this.#manifest, complete: true, summary, updatedAt: new Date().toISOString()}, []);
        });
    }

    /** Wait for a commit in progress, then release the lock. Buffered rows are NOT committed. Safe to call twice. */
    public async close(): Promise<void> {
        if (this.#closed) return;
        this.#closed = true;
        await this.#queue;
        this.#buffer = [];
        await this.#lock.release();
    }

    #enqueue(task: () => Promise<void>): Promise<void> {
        if (this.#closed) return Promise.reject(new Error(`OutputStore for ${displayDir(this.dir)} is closed`));
        const run = this.#queue.then(task);
        this.#queue = run.catch(() => undefined);
        return run;
    }

    async #commitRows(count: number): Promise<void> {
        const taken = this.#buffer.slice(0, count);
        if (taken.length === 0) return;
        const byIdx = (a: BufferedRow, b: BufferedRow) => a.idx - b.idx;
        const data = taken
            .filter((row) => row.kind === "data")
            .sort(byIdx)
            .map((row) => row.record);
        const errors = taken
            .filter((row) => row.kind === "error")
            .sort(byIdx)
            .map((row) => row.record);
        const last = this.#manifest.shards[this.#manifest.shards.length - 1];
        const seq = last === undefined ? 0 : last.seq + 1;
        const base = shardBaseName(seq);
        const written: string[] = [];
        let columns = this.#manifest.columns;

        let dataEntry: ShardFileEntry | null = null;
        if (data.length > 0) {
            const plan = planColumns(data, columns ?? {});
            const bytes = encodeDataShard(data, this.#manifest.outputFormat, plan);
            dataEntry = await this.#writeShard(`${DATA_DIR}/${base}.${shardExtension(this.#manifest.outputFormat)}`, bytes, data.length, written);
            columns = plan;
        }
        let errorsEntry: ShardFileEntry | null = null;
        if (errors.length > 0) {
            const bytes = Buffer.from(errors.map((record) => stringifyJson(record) + "\n").join(""), "utf8");
            errorsEntry = await this.#writeShard(`${ERRORS_DIR}/${base}.jsonl`, bytes, errors.length, written);
        }
        const keyed = taken.filter((row) => row.rowKey !== undefined).sort(byIdx);
        let keysEntry: ShardFileEntry | null = null;
        if (keyed.length > 0) {
            const lines = keyed.map((row) => stringifyJson({idx: row.idx, key: row.rowKey!.key, content: row.rowKey!.content}) + "\n");
            keysEntry = await this.#writeShard(`${KEYS_DIR}/${base}.jsonl`, Buffer.from(lines.join(""), "utf8"), keyed.length, written);
        }
        const replaced = {data: 0, errors: 0};
        for (const row of taken) if (this.#committed.all.has(row.idx)) replaced[this.#committed.failed.has(row.idx) ? "errors" : "data"]++;
        const entry: ShardEntry = {
            seq,
            rows: taken.length,
            data: dataEntry,
            errors: errorsEntry,
            ...(keysEntry !== null ? {keys: keysEntry} : {}),
            ...(replaced.data + replaced.errors > 0 ? {replaced} : {}),
            committedAt: new Date().toISOString()
        };
        const next: Manifest = {
            ...this.#manifest,
            complete: false,
            updatedAt: entry.committedAt,
            shards: [...this.#manifest.shards, entry]
        };
        // a retry pass is recorded with its first commit (a pass with nothing to commit leaves no trace)
        if (this.#retry !== null && this.#retry.firstSeq < 0) next.retries = [...(this.#manifest.retries ?? []), {...this.#retry, firstSeq: seq}];
        if (columns !== undefined) next.columns = columns;
        crashPoint("shards-renamed");
        await this.#saveManifest(next, written);
        this.#buffer.splice(0, taken.length);
        for (const row of taken) {
            this.#committed.all.add(row.idx);
            if (row.kind === "error") this.#committed.failed.add(row.idx);
            else this.#committed.failed.delete(row.idx);
        }
        if (this.#retry !== null && this.#retry.firstSeq < 0) this.#retry.firstSeq = seq;
    }

    async #writeShard(file: string, bytes: Uint8Array, rows: number, written: string[]): Promise<ShardFileEntry> {
        const full = path.join(this.dir, ...file.split("/"));
        try {
            const sub = path.dirname(full);
            if (!this.#madeDirs.has(sub)) {
                await fs.mkdir(sub, {recursive: true});
                await fsyncDir(this.dir);
                this.#madeDirs.add(sub);
            }
            written.push(full);
            await writeFileDurable(full, bytes, {kind: "shard"});
        } catch (error) {
            await removeFiles(written);
            throw new OutputWriteError(
                `could not write ${displayDir(this.dir)}${file} (${errorSummaryOf(error)}); nothing of this shard was committed, fix the cause and re-run to resume`,
                {cause: error}
            );
        }
        return {file, rows, sha256: sha256Of(bytes), bytes: bytes.byteLength};
    }

    /** Save `next` as the manifest; on failure remove `written` (this commit's new shard files) and keep the old state. */
    async #saveManifest(next: Manifest, written: string[]): Promise<void> {
        try {
            await saveManifest(this.dir, next);
        } catch (error) {
            // the rename may have happened before a failing directory fsync: then the commit is visible
            const onDisk = await fs.readFile(path.join(this.dir, MANIFEST_FILE), "utf8").catch(() => "");
            if (onDisk === JSON.stringify(next, null, 2) + "\n") {
                this.#manifest = next;
                return;
            }
            await removeFiles(written);
            throw new OutputWriteError(
                `could not write ${displayDir(this.dir)}${MANIFEST_FILE} (${errorSummaryOf(error)}); nothing of this shard was committed, fix the cause and re-run to resume`,
                {cause: error}
            );
        }
        this.#manifest = next;
    }
}

async function removeFiles(files: string[]): Promise<void> {
    for (const file of files) await fs.rm(file, {force: true}).catch(() => undefined);
}
