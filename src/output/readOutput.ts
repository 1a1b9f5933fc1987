import type {Manifest} from "./Manifest.js";
import {displayDir, loadManifest, readShardFile, retryOfShard} from "./Manifest.js";
import {OutputNotFoundError} from "./outputErrors.js";
import {decodeDataShard, decodeJsonl} from "./shardCodec.js";
import {isOneToManyRun, itemRows} from "./itemRows.js";

/** Everything committed in an output dir. */
export interface OutputContents {
    /**
     * Data rows as flat records (`idx`, input columns, `annotation`, ...), sorted by idx. A one-to-many run
     * (`oneToMany`), read with `items` (the default of `readOutput`): one record per item of each answer, in idx then
     * item order, with `item` and `row_id` after `idx` (see itemRows); an input row answered with an empty list has none.
     */
    rows: Record<string, unknown>[];
    /** Error rows (`idx`, `stage`, `reason`, ...), sorted by idx. */
    errors: Record<string, unknown>[];
    manifest: Manifest;
    /** The `--retry-failed` pass (1 for the first) whose row each retried idx holds; empty when no pass committed a row. */
    retryPass: Map<number, number>;
}

/** Options of `readOutput`. */
export interface ReadOutputOptions {
    /**
     * A one-to-many run's data rows one per item (its answer's elements, with `item` and `row_id`); false gives them one
     * per input row, `annotation` holding the list, as the shards store them. No effect on other runs. Defaults to true.
     */
    items?: boolean;
}

/**
 * Read back every committed data row and error row of an output dir (annotation parsed back from JSON for
 * parquet/arrow). Rows buffered by a running or killed process but not committed are not included.
 * Throws `OutputNotFoundError`, `ManifestCorruptError` or `ShardCorruptError`.
 */
export async function readOutput(dir: string, options: ReadOutputOptions = {}): Promise<OutputContents> {
    const manifest = await loadManifest(dir);
    if (manifest === undefined) throw new OutputNotFoundError(`${displayDir(dir)} holds no airlabel output (no manifest.json); check the --output path`);
    const contents = await readCommitted(dir, manifest);
    return options.items !== false && isOneToManyRun(manifest) ? {...contents, rows: itemRows(contents.rows).rows} : contents;
}

/**
 * `readOutput` for a manifest already loaded from `dir`, one row per input row (`items: false`): the latest committed row of each idx (a `--retry-failed`
 * pass commits new rows for failed ones; the error rows they replace stay in their shards). Throws `ShardCorruptError`.
 */
export async function readCommitted(dir: string, manifest: Manifest): Promise<OutputContents> {
    const latest = new Map<number, {error: boolean; record: Record<string, unknown>}>();
    // rows committed twice that no retry pass explains (a damaged or hand-edited manifest): kept, so that readers see both
    const repeated: {error: boolean; record: Record<string, unknown>}[] = [];
    const retryPass = new Map<number, number>();
    for (const shard of manifest.shards) {
        const pass = retryOfShard(manifest, shard.seq)?.pass;
        const files = [
            {error: false, records: shard.data !== null ? await decodeDataShard(await readShardFile(dir, shard.data), manifest.outputFormat) : []},
            {error: true, records: shard.errors !== null ? decodeJsonl(await readShardFile(dir, shard.errors)) : []}
        ];
        for (const {error, records} of files) {
            for (const record of records) {
                const idx = Number(record.idx);
                const earlier = latest.get(idx);
                if (earlier !== undefined && shard.replaced === undefined) repeated.push(earlier);
                latest.set(idx, {error, record});
                if (pass !== undefined) retryPass.set(idx, pass);
            }
        }
    }
    const rows: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const {error, record} of [...latest.values(), ...repeated]) (error ? errors : rows).push(record);
    const byIdx = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.idx) - Number(b.idx);
    return {rows: rows.sort(byIdx), errors: errors.sort(byIdx), manifest, retryPass};
}
