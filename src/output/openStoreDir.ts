import fs from "node:fs/promises";
import path from "node:path";
import {fsyncDir} from "../files/durableFs.js";
import {MANIFEST_FILE, PREVIOUS_MANIFEST_FILE, displayDir, inspectShardFile, saveManifest} from "./Manifest.js";
import type {Manifest, ShardEntry, ShardFileEntry} from "./Manifest.js";
import {LOCK_FILE, isAlive} from "./OutputLock.js";
import type {OutputFormat} from "./OutputRow.js";
import {ManifestCorruptError, RunIdentityMismatchError} from "./outputErrors.js";
import {decodeDataShard, decodeJsonl} from "./shardCodec.js";

// What OutputStore.open does to an output dir's files before a run goes on in it: identity checked, leftovers of a
// killed run removed, damaged commits set aside.

/** The idx of one shard file checked when the store was opened, with the sha256 they were read under. */
export interface CheckedShardIdx {
    sha256: string;
    idx: readonly number[];
}

export const DATA_DIR = "data";
export const ERRORS_DIR = "errors";
/** Where each commit records its rows' keys (see ShardEntry.keys). */
export const KEYS_DIR = "keys";
/** Where damaged shard files are moved (out of data/ and errors/) before their rows are generated again. */
const DAMAGED_DIR = "damaged";
export const SHARD_NAME = /^part-\d{5,}\.(jsonl|parquet|arrow)$/;
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

export function checkIdentity(dir: string, manifest: Manifest, identity: Record<string, string>, format: OutputFormat): void {
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
export async function removeLeftoverTempFiles(dir: string): Promise<void> {
    for (const sub of [".", DATA_DIR, ERRORS_DIR, KEYS_DIR]) {
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
export async function removeUnlistedShards(dir: string, manifest: Manifest): Promise<void> {
    const listed = new Set<string>();
    for (const shard of manifest.shards) {
        if (shard.data !== null) listed.add(shard.data.file);
        if (shard.errors !== null) listed.add(shard.errors.file);
        if (shard.keys != null) listed.add(shard.keys.file);
    }
    for (const sub of [DATA_DIR, ERRORS_DIR, KEYS_DIR]) {
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
export async function removeRunFiles(dir: string): Promise<void> {
    for (const sub of [DATA_DIR, ERRORS_DIR, KEYS_DIR]) {
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
export async function refuseShardsWithoutManifest(dir: string): Promise<void> {
    for (const sub of [DATA_DIR, ERRORS_DIR, KEYS_DIR]) {
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
export async function dropDamagedShards(
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
        for (const file of [entry.data, entry.errors, entry.keys ?? null]) {
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
        for (const part of [entry.data, entry.errors, entry.keys ?? null]) {
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
    for (const sub of [DATA_DIR, ERRORS_DIR, KEYS_DIR, DAMAGED_DIR]) await fsyncDir(path.join(dir, sub)).catch(() => undefined);
    return {manifest: repaired, checkedIdx};
}

/** The idx of every row of a shard file's bytes (a data shard in `format`, or an error shard: "jsonl"). */
export async function shardIdx(bytes: Uint8Array, format: OutputFormat): Promise<number[]> {
    const records = format === "jsonl" ? decodeJsonl(bytes) : await decodeDataShard(bytes, format, true);
    return records.map((record) => Number(record.idx));
}
