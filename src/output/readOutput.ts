import type {Manifest} from "./Manifest.js";
import {displayDir, loadManifest, readShardFile} from "./Manifest.js";
import {OutputNotFoundError} from "./outputErrors.js";
import {decodeDataShard, decodeJsonl} from "./shardCodec.js";

/** Everything committed in an output dir. */
export interface OutputContents {
    /** Data rows as flat records (`idx`, input columns, `annotation`, ...), sorted by idx. */
    rows: Record<string, unknown>[];
    /** Error rows (`idx`, `stage`, `reason`, ...), sorted by idx. */
    errors: Record<string, unknown>[];
    manifest: Manifest;
}

/**
 * Read back every committed data row and error row of an output dir (annotation parsed back from JSON for
 * parquet/arrow). Rows buffered by a running or killed process but not committed are not included.
 * Throws `OutputNotFoundError`, `ManifestCorruptError` or `ShardCorruptError`.
 */
export async function readOutput(dir: string): Promise<OutputContents> {
    const manifest = await loadManifest(dir);
    if (manifest === undefined) throw new OutputNotFoundError(`${displayDir(dir)} holds no airlabel output (no manifest.json); check the --output path`);
    return readCommitted(dir, manifest);
}

/** `readOutput` for a manifest already loaded from `dir`. Throws `ShardCorruptError`. */
export async function readCommitted(dir: string, manifest: Manifest): Promise<OutputContents> {
    const rows: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const shard of manifest.shards) {
        if (shard.data !== null) rows.push(...(await decodeDataShard(await readShardFile(dir, shard.data), manifest.outputFormat)));
        if (shard.errors !== null) errors.push(...decodeJsonl(await readShardFile(dir, shard.errors)));
    }
    const byIdx = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.idx) - Number(b.idx);
    return {rows: rows.sort(byIdx), errors: errors.sort(byIdx), manifest};
}
