import fs from "node:fs";
import path from "node:path";
import {loadManifest} from "../output/Manifest.js";
import {inputColumnsOf} from "../output/inputColumnsOf.js";
import {PreparedCache} from "../prepare/PreparedCache.js";
import {RESERVED_OUTPUT_COLUMNS} from "../output/OutputRow.js";
import {readCommitted} from "../output/readOutput.js";
import {COMPARISON_FILE, ComparisonFileError, readComparisonFile, type RecordedComparisonModel as RecordedModel} from "./comparisonFile.js";

/** One model of a comparison, as `readComparison` reports it. */
export type ComparisonModel = RecordedModel & {
    /** Whether this model's run is complete (every row answered or failed). */
    complete: boolean;
};

/** One model's answer to one row. */
export type ComparisonResponse = {
    /** The parsed answer (or the text of a free-text run); null where the model failed the row or has not reached it. */
    annotation: unknown;
    ok: boolean;
    /** Why the row failed (the errors file's reason), or why there is no answer yet; null when ok. */
    reason: string | null;
    /** The answer's confidence, where the model's run recorded one (`--confidence`, `--samples`). */
    confidence?: number | null;
};

/** One input row with every model's answer, aligned by idx. */
export type ComparisonRow = {
    /** The row's 0-based position in the input. */
    idx: number;
    /** The kept input columns. */
    columns: Record<string, unknown>;
    /** By model id, for every model of the comparison. */
    responses: Record<string, ComparisonResponse>;
};

export type Comparison = {models: ComparisonModel[]; rows: ComparisonRow[]};

/** Whether `dir` is the output dir of a multi-model run (it holds `compare.json`). */
export function isComparisonDir(dir: string): boolean {
    return fs.existsSync(path.join(dir, COMPARISON_FILE));
}

const reserved = new Set(RESERVED_OUTPUT_COLUMNS);

/**
 * Reads a multi-model run's output dir (`airlabel run --model a --model b -o DIR`): every committed answer of every
 * model (`DIR/models/<id>/`), joined on idx, never on position. Rows sorted by idx; every model has an entry in
 * every row (`ok: false` with the reason where it failed the row or has not reached it yet).
 * Throws ComparisonFileError when DIR is not a comparison, and the output errors of a corrupt model dir.
 */
export async function readComparison(dir: string): Promise<Comparison> {
    const file = readComparisonFile(dir);
    if (file === undefined)
        throw new ComparisonFileError(`${dir} holds no model comparison (no ${COMPARISON_FILE}); pass the --output dir of a run with several --model`);
    const models: ComparisonModel[] = [];
    const rows = new Map<number, ComparisonRow>();
    const rowOf = (idx: number) => {
        let row = rows.get(idx);
        if (row === undefined) {
            row = {idx, columns: {}, responses: {}};
            rows.set(idx, row);
        }
        return row;
    };
    const withColumns = new Set<number>();
    for (const model of file.models) {
        const modelDir = path.join(dir, model.dir);
        const manifest = await loadManifest(modelDir);
        models.push({...model, complete: manifest?.complete === true});
        if (manifest === undefined) continue;
        const contents = await readCommitted(modelDir, manifest);
        for (const record of contents.rows) {
            const row = rowOf(Number(record.idx));
            row.responses[model.id] = {
                annotation: record.annotation ?? null,
                ok: true,
                reason: null,
                ...(typeof record.confidence === "number" || record.confidence === null ? {confidence: record.confidence as number | null} : {})
            };
            if (!withColumns.has(row.idx)) {
                withColumns.add(row.idx);
                row.columns = Object.fromEntries(Object.entries(record).filter(([name]) => !reserved.has(name)));
            }
        }
        for (const record of contents.errors) {
            const row = rowOf(Number(record.idx));
            row.responses[model.id] = {
                annotation: null,
                ok: false,
                reason: typeof record.reason === "string" ? record.reason : String(record.reason ?? "failed")
            };
            // an errors record keeps the row's input columns (records written before that have none)
            if (!withColumns.has(row.idx) && "columns" in record) {
                withColumns.add(row.idx);
                row.columns = inputColumnsOf(record);
            }
        }
    }
    const missing = [...rows.keys()].filter((idx) => !withColumns.has(idx));
    if (missing.length > 0) await fillColumnsFromCaches(dir, file.models, missing, rows);
    for (const row of rows.values()) {
        for (const model of models) {
            row.responses[model.id] ??= {
                annotation: null,
                ok: false,
                reason: `not answered yet: model ${model.id} has not reached this row; re-run the same command to resume`
            };
        }
    }
    return {models, rows: [...rows.values()].sort((a, b) => a.idx - b.idx)};
}

/**
 * The input columns of rows no model answered come from the prepared-rows caches of the model dirs (rows that
 * failed in prepare have none: their columns stay empty).
 */
async function fillColumnsFromCaches(dir: string, models: readonly RecordedModel[], missing: number[], rows: Map<number, ComparisonRow>): Promise<void> {
    const wanted = new Set(missing);
    for (const model of models) {
        const cacheDir = path.join(dir, model.dir, "cache");
        let keys: string[];
        try {
            keys = fs.readdirSync(cacheDir).flatMap((name) => /^prepared-(.+)\.json$/u.exec(name)?.[1] ?? []);
        } catch {
            continue;
        }
        for (const key of keys) {
            const cache = new PreparedCache(path.join(dir, model.dir), key);
            const meta = await cache.loadMeta();
            if (meta === null) continue;
            try {
                for await (const window of cache.windows(meta)) {
                    for (const row of window.rows) {
                        if (!wanted.has(row.idx)) continue;
                        rows.get(row.idx)!.columns = row.columns;
                        wanted.delete(row.idx);
                    }
                }
            } catch {
                // a torn or foreign cache only means fewer filled columns
            }
            if (wanted.size === 0) return;
        }
    }
}
