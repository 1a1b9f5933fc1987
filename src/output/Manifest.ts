import fs from "node:fs/promises";
import path from "node:path";
import {crashPoint} from "../files/crashPoint.js";
import {writeFileDurable} from "../files/durableFs.js";
import {ManifestCorruptError, ShardCorruptError, errorCodeOf} from "./outputErrors.js";
import type {OutputFormat} from "./OutputRow.js";
import {OUTPUT_FORMATS} from "./OutputRow.js";
import type {ColumnKind} from "./ColumnKind.js";
import {sha256Of} from "../files/sha256Of.js";

export const MANIFEST_FILE = "manifest.json";
/** The manifest of the commit before the current one, kept to recover from a damaged `manifest.json`. */
export const PREVIOUS_MANIFEST_FILE = "manifest.prev.json";
/** The only shard file names a manifest may list: made by airlabel, always inside the output dir. */
const SHARD_FILE = /^(data\/part-\d{5,}\.(jsonl|parquet|arrow)|(errors|keys)\/part-\d{5,}\.jsonl)$/u;

/** One committed file of a shard, as recorded in the manifest. */
export interface ShardFileEntry {
    /** Path relative to the output dir, with `/` separators: `data/part-00007.parquet`. */
    file: string;
    rows: number;
    sha256: string;
    bytes: number;
}

/** One commit: a data file and/or an error file. */
export interface ShardEntry {
    seq: number;
    /** Data rows + error rows of this commit. */
    rows: number;
    data: ShardFileEntry | null;
    errors: ShardFileEntry | null;
    /** The key and content of each row of this commit (`{"idx", "key", "content"}` lines), by which a re-run matches rows; absent in runs that do not key their rows. */
    keys?: ShardFileEntry | null;
    /**
     * Rows of this commit that replace rows committed before it (a `--retry-failed` pass replaces error rows, a changed
     * row answered again its data or error row), by the kind of the row replaced: readers take the latest row of each
     * idx, so those earlier rows no longer count. Absent when none.
     */
    replaced?: {data: number; errors: number};
    committedAt: string;
}

/** One `--retry-failed` pass: the shards from `firstSeq` on were answered under `identity`. */
export interface RetryEntry {
    /** Seq of the pass's first commit. */
    firstSeq: number;
    /** The pass's own identity (the run's, with its generation settings changed). */
    identity: Record<string, string>;
    /** What the pass changed against the run's settings, one entry each ("maxTokens 4 -> 32"); empty when nothing. */
    changes: string[];
    startedAt: string;
}

/** Content of `manifest.json`: the single source of truth of what is committed. */
export interface Manifest {
    format: "airlabel-manifest";
    version: 1;
    outputFormat: OutputFormat;
    identity: Record<string, string>;
    meta: Record<string, unknown>;
    createdAt: string;
    updatedAt: string;
    complete: boolean;
    summary?: Record<string, unknown>;
    /** Storage kind of each data column so far, kept so that later shards share the schema of earlier ones. */
    columns?: Record<string, ColumnKind>;
    shards: ShardEntry[];
    /** The `--retry-failed` passes, in order; absent before the first. */
    retries?: RetryEntry[];
}

/** `out/` as the user wrote it, with one trailing slash, for messages. */
export function displayDir(dir: string): string {
    return dir.endsWith("/") || dir.endsWith(path.sep) ? dir : dir + "/";
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFileEntry(value: unknown): value is ShardFileEntry | null {
    if (value === null) return true;
    // a file name of any other shape (`../x`, `/etc/x`) is never one airlabel wrote: refused, never opened
    return (
        isRecord(value) &&
        typeof value.file === "string" &&
        SHARD_FILE.test(value.file) &&
        typeof value.rows === "number" &&
        typeof value.sha256 === "string" &&
        typeof value.bytes === "number"
    );
}

function isRetryEntry(value: unknown): value is RetryEntry {
    return (
        isRecord(value) &&
        typeof value.firstSeq === "number" &&
        isRecord(value.identity) &&
        Array.isArray(value.changes) &&
        value.changes.every((change) => typeof change === "string")
    );
}

function describeShapeProblem(value: unknown): string | undefined {
    if (!isRecord(value) || value.format !== "airlabel-manifest") return "not an airlabel manifest";
    if (typeof value.version !== "number") return "no version";
    if (!OUTPUT_FORMATS.includes(value.outputFormat as OutputFormat)) return `unknown outputFormat ${JSON.stringify(value.outputFormat)}`;
    if (!isRecord(value.identity)) return "no identity";
    if (!Array.isArray(value.shards)) return "no shards list";
    for (const [i, shard] of value.shards.entries()) {
        if (!isRecord(shard) || typeof shard.seq !== "number" || typeof shard.rows !== "number" || !isFileEntry(shard.data) || !isFileEntry(shard.errors))
            return `malformed shards[${i}]`;
        if (shard.keys !== undefined && !isFileEntry(shard.keys)) return `malformed shards[${i}].keys`;
        if (
            shard.replaced !== undefined &&
            (!isRecord(shard.replaced) ||
                typeof shard.replaced.data !== "number" ||
                typeof shard.replaced.errors !== "number" ||
                shard.replaced.data + shard.replaced.errors > shard.rows)
        )
            return `malformed shards[${i}].replaced`;
    }
    if (value.retries !== undefined && (!Array.isArray(value.retries) || !value.retries.every(isRetryEntry))) return "malformed retries";
    return undefined;
}

/**
 * Read `dir/manifest.json`; `undefined` when there is none.
 * Throws `ManifestCorruptError` when it is unreadable, truncated or not an airlabel manifest.
 */
export async function loadManifest(dir: string): Promise<Manifest | undefined> {
    const read = await readManifestFile(dir, MANIFEST_FILE);
    if (read.problem !== undefined)
        throw new ManifestCorruptError(
            `${displayDir(dir)}${MANIFEST_FILE} ${read.problem}; re-run the same airlabel run command to recover the commit before (${PREVIOUS_MANIFEST_FILE}), or re-run it with --overwrite to start over`,
            {cause: read.cause}
        );
    return read.manifest;
}

/** What `loadManifestRecovering` found. */
export interface LoadedManifest {
    manifest: Manifest | undefined;
    /** Set when `manifest.json` was damaged and the previous commit's manifest was used instead: what was wrong. */
    recovered?: string;
}

/**
 * `loadManifest`, except that a damaged `manifest.json` falls back to `manifest.prev.json` (the commit before it)
 * when that one is intact. Throws `ManifestCorruptError` when neither can be used.
 */
export async function loadManifestRecovering(dir: string): Promise<LoadedManifest> {
    const read = await readManifestFile(dir, MANIFEST_FILE);
    if (read.problem === undefined) return {manifest: read.manifest};
    const previous = await readManifestFile(dir, PREVIOUS_MANIFEST_FILE);
    if (previous.problem === undefined && previous.manifest !== undefined)
        return {manifest: previous.manifest, recovered: `${displayDir(dir)}${MANIFEST_FILE} ${read.problem}`};
    const why = previous.manifest === undefined && previous.problem === undefined ? "there is no" : "neither is the";
    throw new ManifestCorruptError(
        `${displayDir(dir)}${MANIFEST_FILE} ${read.problem}, and ${why} ${PREVIOUS_MANIFEST_FILE} to recover from; re-run with --overwrite to start over, or use another --output`,
        {cause: read.cause}
    );
}

type ManifestRead = {manifest: Manifest | undefined; problem?: undefined; cause?: undefined} | {manifest?: undefined; problem: string; cause?: unknown};

/** Read and check one manifest file; `problem` says what is wrong with it ("is corrupt (...)"). */
async function readManifestFile(dir: string, name: string): Promise<ManifestRead> {
    let text: string;
    try {
        text = await fs.readFile(path.join(dir, name), "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return {manifest: undefined};
        return {problem: `cannot be read (${errorCodeOf(error)})`, cause: error};
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
        return {problem: `is corrupt (${why})`, cause: error};
    }
    const shape = describeShapeProblem(parsed);
    if (shape !== undefined) return {problem: `is corrupt (${shape})`};
    const manifest = parsed as Manifest;
    if (manifest.version !== 1)
        throw new ManifestCorruptError(
            `${displayDir(dir)}${name} has version ${manifest.version}, written by a newer airlabel; upgrade airlabel, or re-run with --overwrite to start over`
        );
    return {manifest};
}

/**
 * Write the manifest atomically and durably (tmp + fsync + rename + fsync dir). The manifest it replaces becomes
 * `manifest.prev.json` first (a hard link, renamed into place), unless `keepPrevious` is false.
 */
export async function saveManifest(dir: string, manifest: Manifest, keepPrevious = true): Promise<void> {
    const file = path.join(dir, MANIFEST_FILE);
    await writeFileDurable(file, JSON.stringify(manifest, null, 2) + "\n", {
        kind: "manifest",
        beforeRename: keepPrevious ? () => keepPreviousManifest(dir) : undefined
    });
}

async function keepPreviousManifest(dir: string): Promise<void> {
    const current = path.join(dir, MANIFEST_FILE);
    const aside = path.join(dir, PREVIOUS_MANIFEST_FILE + ".tmp");
    await fs.rm(aside, {force: true});
    try {
        await fs.link(current, aside);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return; // the first manifest of a run
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw error;
        await fs.copyFile(current, aside); // a filesystem without hard links
    }
    await fs.rename(aside, path.join(dir, PREVIOUS_MANIFEST_FILE));
    crashPoint("manifest-previous-kept");
}

/** Data rows and error rows committed in the shards `manifest` lists, each idx counted once (by its latest row). */
export function committedCounts(manifest: Manifest): {rows: number; errors: number} {
    let rows = 0;
    let errors = 0;
    for (const shard of manifest.shards) {
        rows += (shard.data?.rows ?? 0) - (shard.replaced?.data ?? 0);
        errors += (shard.errors?.rows ?? 0) - (shard.replaced?.errors ?? 0);
    }
    return {rows, errors};
}

/** The settings a shard was answered under: the retry pass that committed it, or null for the run's own settings. */
export function retryOfShard(manifest: Manifest, seq: number): {pass: number; entry: RetryEntry} | null {
    const retries = manifest.retries ?? [];
    for (let pass = retries.length; pass >= 1; pass--) if (seq >= retries[pass - 1]!.firstSeq) return {pass, entry: retries[pass - 1]!};
    return null;
}

/** What is wrong with a committed shard file on disk ("is missing", "has 90 of its 120 bytes"), or undefined with its bytes. */
export async function inspectShardFile(
    dir: string,
    entry: ShardFileEntry
): Promise<{bytes: Uint8Array; problem?: undefined; cause?: undefined} | {bytes?: undefined; problem: string; cause?: unknown}> {
    let bytes: Uint8Array;
    try {
        bytes = await fs.readFile(path.join(dir, ...entry.file.split("/")));
    } catch (error) {
        const code = errorCodeOf(error);
        return {problem: code === "ENOENT" ? "is missing" : `cannot be read (${code})`, cause: error};
    }
    if (bytes.byteLength !== entry.bytes) return {problem: `has ${bytes.byteLength} bytes where ${MANIFEST_FILE} recorded ${entry.bytes}`};
    if (sha256Of(bytes) !== entry.sha256) return {problem: `was modified (its sha256 differs from ${MANIFEST_FILE})`};
    return {bytes};
}

/** Read a committed shard file and check it against its manifest entry; throws `ShardCorruptError`. */
export async function readShardFile(dir: string, entry: ShardFileEntry): Promise<Uint8Array> {
    const checked = await inspectShardFile(dir, entry);
    if (checked.problem !== undefined)
        throw new ShardCorruptError(
            `committed shard ${displayDir(dir)}${entry.file} ${checked.problem}; re-run the same airlabel run command to generate its rows again`,
            {cause: checked.cause}
        );
    return checked.bytes;
}
