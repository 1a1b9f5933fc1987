import fs from "node:fs/promises";
import path from "node:path";
import {InvalidOptionError} from "../AirlabelError.js";
import {sha256Of} from "../files/sha256Of.js";
import {fsyncDir, writeFileDurable} from "../files/durableFs.js";
import type {Manifest, ShardEntry, ShardFileEntry} from "./Manifest.js";
import {crashPoint} from "../files/crashPoint.js";
import {
    MANIFEST_FILE,
    PREVIOUS_MANIFEST_FILE,
    committedCounts,
    displayDir,
    inspectShardFile,
    loadManifestRecovering,
    readShardFile,
    saveManifest
} from "./Manifest.js";
import {LOCK_FILE, type OutputLock, isAlive} from "./OutputLock.js";
import type {AnnotatedRow, FailedRow, OutputFormat} from "./OutputRow.js";
import {OUTPUT_FORMATS, dataRecordOf, errorRecordOf} from "./OutputRow.js";
import {lockOutputDir} from "./openOutputDir.js";
import {ManifestCorruptError, OutputWriteError, RunIdentityMismatchError, errorSummaryOf} from "./outputErrors.js";
import {decodeDataShard, decodeJsonl, encodeDataShard, planColumns, shardExtension} from "./shardCodec.js";
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
}

/** Counts of what is committed so far. */
export interface OutputStoreStats {
    committedRows: number;
    committedErrors: number;
    shards: number;
}

/** The idx of one shard file checked when the store was opened, with the sha256 they were read under. */
interface CheckedShardIdx {
    sha256: string;
    idx: readonly number[];
}

type BufferedRow = {kind: "data"; idx: number; record: Record<string, unknown>} | {kind: "error"; idx: number; record: Record<string, unknown>};

const DATA_DIR = "data";
const ERRORS_DIR = "errors";
/** Where damaged shard files are moved (out of data/ and errors/) before their rows are generated again. */
const DAMAGED_DIR = "damaged";
const SHARD_NAME = /^part-\d{5,}\.(jsonl|parquet|arrow)$/;

function shardBaseName(seq: number): string {
    return `part-${String(seq).padStart(5, "0")}`;
}

/** A value short enough for a one-line message: hex digests to 8 chars, long text around its first difference. */
function shortValue(value: string | undefined, other: string | undefined): string {
    if (value === undefined) return "none";
    if (/^[0-9a-f]{16,}$/i.test(value)) return value.slice(0, 8);
    if (value.length <= 40) return value;
    let first = 0;
    while (other !== undefined && first < value.length && value[first] === other[first]) first++;
    if (first < 30) return value.slice(0, 37) + "...";
    return "..." + value.slice(first - 10, first + 27) + (first + 27 < value.length ? "..." : "");
}

function joinParts(parts: string[]): string {
    if (parts.length <= 1) return parts.join("");
    return parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1];
}

async function listDir(dir: string): Promise<string[]> {
    try {
        return await fs.readdir(dir);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return [];
        throw error;
    }
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

    private constructor(
        dir: string,
        format: OutputFormat,
        shardSize: number,
        manifest: Manifest,
        lock: OutputLock,
        checkedIdx: ReadonlyMap<string, CheckedShardIdx>
    ) {
        this.dir = dir;
        this.format = format;
        this.shardSize = shardSize;
        this.#manifest = manifest;
        this.#lock = lock;
        this.#checkedIdx = checkedIdx;
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
                if (options.meta !== undefined) manifest.meta = {...options.meta};
                ({manifest, checkedIdx} = await dropDamagedShards(dir, manifest, log));
            }
            await removeUnlistedShards(dir, manifest);
            crashPoint("store-opened");
            return new OutputStore(dir, format, shardSize, manifest, lock, checkedIdx);
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
        const result = new Set<number>();
        for (const shard of this.#manifest.shards) {
            for (const file of [shard.data, shard.errors]) {
                if (file === null) continue;
                const checked = this.#checkedIdx.get(file.file);
                const idx =
                    checked !== undefined && checked.sha256 === file.sha256
                        ? checked.idx
                        : await shardIdx(await readShardFile(this.dir, file), file === shard.data ? this.#manifest.outputFormat : "jsonl");
                for (const value of idx) result.add(value);
            }
        }
        this.#checkedIdx = new Map();
        return result;
    }

    /** Buffer an annotated row; commits a shard (and waits for it) once `shardSize` rows are buffered. */
    public add(row: AnnotatedRow): Promise<void> {
        return this.#push({kind: "data", idx: row.idx, record: dataRecordOf(row)});
    }

    /** Buffer a failed row; commits a shard (and waits for it) once `shardSize` rows are buffered. */
    public fail(row: FailedRow): Promise<void> {
        return this.#push({kind: "error", idx: row.idx, record: errorRecordOf(row)});
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
        const entry: ShardEntry = {
            seq,
            rows: taken.length,
            data: dataEntry,
            errors: errorsEntry,
            committedAt: new Date().toISOString()
        };
        const next: Manifest = {
            ...this.#manifest,
            complete: false,
            updatedAt: entry.committedAt,
            shards: [...this.#manifest.shards, entry]
        };
        if (columns !== undefined) next.columns = columns;
        crashPoint("shards-renamed");
        await this.#saveManifest(next, written);
        this.#buffer.splice(0, taken.length);
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

function checkIdentity(dir: string, manifest: Manifest, identity: Record<string, string>, format: OutputFormat): void {
    const differences: string[] = [];
    const names = [...new Set([...Object.keys(identity), ...Object.keys(manifest.identity)])];
    for (const name of names) {
        const was = manifest.identity[name];
        const now = identity[name];
        if (was === now) continue;
        // `name:size:<16 hex>` is the fingerprint of an older airlabel (the first and last MiB only), now `name:size:sha256:<16 hex>`
        const older =
            name === "model" &&
            was !== undefined &&
            now !== undefined &&
            /^(.+:\d+):[0-9a-f]{16}$/u.exec(was)?.[1] === /^(.+:\d+):sha256:[0-9a-f]{16}$/u.exec(now)?.[1];
        differences.push(
            older
                ? "model fingerprint (written by an older airlabel from the model's first and last MiB; now the sha256 of all of it, which cannot be checked against that)"
                : `${name} (was ${shortValue(was, now)}, now ${shortValue(now, was)})`
        );
    }
    if (manifest.outputFormat !== format && manifest.identity.format === identity.format)
        differences.push(`format (was ${manifest.outputFormat}, now ${format})`);
    if (differences.length === 0) return;
    throw new RunIdentityMismatchError(
        `output dir ${displayDir(dir)} holds a run with a different ${joinParts(differences)}; re-run with --overwrite to start over, or use another --output`
    );
}

/** Remove what a killed run leaves behind: `*.tmp` files in the dir and its shard dirs, stale lock leftovers (cache/ cleans itself). */
async function removeLeftoverTempFiles(dir: string): Promise<void> {
    for (const sub of [".", DATA_DIR, ERRORS_DIR]) {
        const folder = path.join(dir, sub);
        for (const name of await listDir(folder)) {
            if (!name.endsWith(".tmp") && !(name.startsWith(LOCK_FILE + ".") && name.endsWith(".stale"))) continue;
            if (name.startsWith(LOCK_FILE + ".")) {
                // another process's lock being written: `.airlabel.lock.<pid>.<random>.tmp`
                const pid = Number(name.slice(LOCK_FILE.length + 1).split(".")[0]);
                if (Number.isSafeInteger(pid) && pid !== process.pid && isAlive(pid)) continue;
            }
            await fs.rm(path.join(folder, name), {force: true});
        }
    }
}

/** Remove shard files the manifest does not list: written by a run killed before it could commit them. */
async function removeUnlistedShards(dir: string, manifest: Manifest): Promise<void> {
    const listed = new Set<string>();
    for (const shard of manifest.shards) {
        if (shard.data !== null) listed.add(shard.data.file);
        if (shard.errors !== null) listed.add(shard.errors.file);
    }
    for (const sub of [DATA_DIR, ERRORS_DIR]) {
        let removed = false;
        for (const name of await listDir(path.join(dir, sub))) {
            if (SHARD_NAME.test(name) && !listed.has(`${sub}/${name}`)) {
                await fs.rm(path.join(dir, sub, name), {force: true});
                removed = true;
            }
        }
        if (removed) await fsyncDir(path.join(dir, sub));
    }
}

/** `--overwrite`: remove airlabel's own files of a previous run (manifest and shards), nothing else. */
async function removeRunFiles(dir: string): Promise<void> {
    for (const sub of [DATA_DIR, ERRORS_DIR]) {
        for (const name of await listDir(path.join(dir, sub))) if (SHARD_NAME.test(name)) await fs.rm(path.join(dir, sub, name), {force: true});
    }
    await fs.rm(path.join(dir, MANIFEST_FILE), {force: true});
    await fs.rm(path.join(dir, PREVIOUS_MANIFEST_FILE), {force: true});
    await fsyncDir(dir);
}

/**
 * Shard files in data/ or errors/ with neither manifest.json nor manifest.prev.json: the manifests were deleted, and
 * what is committed is unknown. Refused like a corrupt manifest rather than written over.
 */
async function refuseShardsWithoutManifest(dir: string): Promise<void> {
    for (const sub of [DATA_DIR, ERRORS_DIR]) {
        const shards = (await listDir(path.join(dir, sub))).filter((name) => SHARD_NAME.test(name));
        if (shards.length === 0) continue;
        throw new ManifestCorruptError(
            `${displayDir(dir)}${sub}/ holds ${shards.length} shard file${shards.length === 1 ? "" : "s"} (${sub}/${shards.sort()[0]}${shards.length > 1 ? ", ..." : ""}) but there is no ${MANIFEST_FILE} or ${PREVIOUS_MANIFEST_FILE} saying what they hold; ` +
                "restore the manifest, or re-run with --overwrite to start over, or use another --output"
        );
    }
}

/**
 * Check every committed shard file against the manifest (size and sha256). A commit with a damaged or missing file
 * is taken out of the manifest (its files moved to damaged/), so that its rows are generated again; one log line
 * names each.
 */
async function dropDamagedShards(
    dir: string,
    manifest: Manifest,
    log: (line: string) => void
): Promise<{manifest: Manifest; checkedIdx: Map<string, CheckedShardIdx>}> {
    const kept: ShardEntry[] = [];
    const damaged: {entry: ShardEntry; file: string; problem: string}[] = [];
    const checkedIdx = new Map<string, CheckedShardIdx>();
    for (const entry of manifest.shards) {
        let problem: {file: string; problem: string} | undefined;
        const intact: {file: ShardFileEntry; bytes: Uint8Array; format: OutputFormat}[] = [];
        for (const file of [entry.data, entry.errors]) {
            if (file === null || problem !== undefined) continue;
            const checked = await inspectShardFile(dir, file);
            if (checked.problem !== undefined) problem = {file: file.file, problem: checked.problem};
            else intact.push({file, bytes: checked.bytes, format: file === entry.data ? manifest.outputFormat : "jsonl"});
        }
        if (problem !== undefined) {
            damaged.push({entry, ...problem});
            continue;
        }
        kept.push(entry);
        for (const {file, bytes, format} of intact) {
            // bytes that match the manifest and still do not decode are left to committedIdx, which reports them as before
            const idx = await shardIdx(bytes, format).catch(() => undefined);
            if (idx !== undefined) checkedIdx.set(file.file, {sha256: file.sha256, idx});
        }
    }
    if (damaged.length === 0) return {manifest, checkedIdx};
    const stamp = new Date().toISOString().replace(/[:.]/gu, "-");
    for (const {entry, file, problem} of damaged) {
        const moved: string[] = [];
        for (const part of [entry.data, entry.errors]) {
            if (part === null) continue;
            const target = path.join(dir, DAMAGED_DIR, `${stamp}-${part.file.replace("/", "-")}`);
            await fs.mkdir(path.dirname(target), {recursive: true});
            try {
                await fs.rename(path.join(dir, ...part.file.split("/")), target);
                moved.push(`${DAMAGED_DIR}/${path.basename(target)}`);
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
            }
        }
        log(
            `committed shard ${displayDir(dir)}${file} ${problem}; its ${entry.rows} row${entry.rows === 1 ? "" : "s"} will be generated again` +
                (moved.length > 0 ? ` (damaged files moved to ${moved.join(", ")})` : "")
        );
    }
    const repaired: Manifest = {...manifest, complete: false, updatedAt: new Date().toISOString(), shards: kept};
    delete repaired.summary;
    await saveManifest(dir, repaired);
    // the moves took files out of data/ and errors/ and into damaged/
    for (const sub of [DATA_DIR, ERRORS_DIR, DAMAGED_DIR]) await fsyncDir(path.join(dir, sub)).catch(() => undefined);
    return {manifest: repaired, checkedIdx};
}

/** The idx of every row of a shard file's bytes (a data shard in `format`, or an error shard: "jsonl"). */
async function shardIdx(bytes: Uint8Array, format: OutputFormat): Promise<number[]> {
    const records = format === "jsonl" ? decodeJsonl(bytes) : await decodeDataShard(bytes, format, true);
    return records.map((record) => Number(record.idx));
}
