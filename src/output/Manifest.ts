import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {writeFileDurable} from "./durableFs.js";
import {ManifestCorruptError, ShardCorruptError, errorCodeOf} from "./outputErrors.js";
import type {OutputFormat} from "./OutputRow.js";
import {OUTPUT_FORMATS} from "./OutputRow.js";
import type {ColumnKind} from "./shardCodec.js";

export const MANIFEST_FILE = "manifest.json";

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
    committedAt: string;
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
    return isRecord(value) && typeof value.file === "string" && typeof value.rows === "number" &&
        typeof value.sha256 === "string" && typeof value.bytes === "number";
}

function describeShapeProblem(value: unknown): string | undefined {
    if (!isRecord(value) || value.format !== "airlabel-manifest") return "not an airlabel manifest";
    if (typeof value.version !== "number") return "no version";
    if (!OUTPUT_FORMATS.includes(value.outputFormat as OutputFormat)) return `unknown outputFormat ${JSON.stringify(value.outputFormat)}`;
    if (!isRecord(value.identity)) return "no identity";
    if (!Array.isArray(value.shards)) return "no shards list";
    for (const [i, shard] of value.shards.entries()) {
        if (!isRecord(shard) || typeof shard.seq !== "number" || typeof shard.rows !== "number" ||
            !isFileEntry(shard.data) || !isFileEntry(shard.errors))
            return `malformed shards[${i}]`;
    }
    return undefined;
}

/**
 * Read `dir/manifest.json`; `undefined` when there is none.
 * Throws `ManifestCorruptError` when it is unreadable, truncated or not an airlabel manifest.
 */
export async function loadManifest(dir: string): Promise<Manifest | undefined> {
    const file = path.join(dir, MANIFEST_FILE);
    const shown = displayDir(dir) + MANIFEST_FILE;
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new ManifestCorruptError(
            `${shown} cannot be read (${errorCodeOf(error)}); fix its permissions, or re-run with --overwrite to start over`,
            {cause: error}
        );
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
        throw new ManifestCorruptError(
            `${shown} is corrupt (${why}); re-run with --overwrite to start over, or use another --output`,
            {cause: error}
        );
    }
    const problem = describeShapeProblem(parsed);
    if (problem !== undefined)
        throw new ManifestCorruptError(
            `${shown} is corrupt (${problem}); re-run with --overwrite to start over, or use another --output`
        );
    const manifest = parsed as Manifest;
    if (manifest.version !== 1)
        throw new ManifestCorruptError(
            `${shown} has version ${manifest.version}, written by a newer airlabel; upgrade airlabel, or re-run with --overwrite to start over`
        );
    return manifest;
}

/** Write the manifest atomically and durably (tmp + fsync + rename + fsync dir). */
export async function saveManifest(dir: string, manifest: Manifest): Promise<void> {
    await writeFileDurable(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
}

/** Data rows and error rows committed in the shards `manifest` lists. */
export function committedCounts(manifest: Manifest): {rows: number, errors: number} {
    let rows = 0;
    let errors = 0;
    for (const shard of manifest.shards) {
        rows += shard.data?.rows ?? 0;
        errors += shard.errors?.rows ?? 0;
    }
    return {rows, errors};
}

export function sha256Of(bytes: Uint8Array): string {
    return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Read a committed shard file and check it against its manifest entry; throws `ShardCorruptError`. */
export async function readShardFile(dir: string, entry: ShardFileEntry): Promise<Uint8Array> {
    const shown = displayDir(dir) + entry.file;
    const advice = "re-run with --overwrite to start over, or use another --output";
    let bytes: Uint8Array;
    try {
        bytes = await fs.readFile(path.join(dir, ...entry.file.split("/")));
    } catch (error) {
        const code = errorCodeOf(error);
        throw new ShardCorruptError(
            `committed shard ${shown} ${code === "ENOENT" ? "is missing" : `cannot be read (${code})`}; ${advice}`,
            {cause: error}
        );
    }
    if (bytes.byteLength !== entry.bytes || sha256Of(bytes) !== entry.sha256)
        throw new ShardCorruptError(
            `committed shard ${shown} was modified (its sha256 differs from ${MANIFEST_FILE}); ${advice}`
        );
    return bytes;
}
