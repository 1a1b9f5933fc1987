import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {committedCounts, displayDir} from "../output/Manifest.js";
import type {Manifest} from "../output/Manifest.js";
import {RESERVED_OUTPUT_COLUMNS} from "../output/OutputRow.js";
import {readOutput} from "../output/readOutput.js";
import type {OutputContents} from "../output/readOutput.js";
import {isComparisonDir} from "../compare/readComparison.js";
import {readComparisonDirs} from "./readComparisonDirs.js";
import {inputColumnsOf} from "../output/inputColumnsOf.js";
import {readEarlierSteps} from "./readEarlierSteps.js";

/** The run (or one model of a comparison) is not finished and `allowIncomplete` was not given. */
export class IncompleteRunError extends AirlabelError {}

/** One model whose answers are handed off: the only one of a run, or one of a comparison. */
export interface HandoffModel {
    /** Model id: the comparison's id, or the model file name without `.gguf` for a single run. */
    id: string;
    /** Model name as recorded in the rows (file name or remote model name). */
    model: string;
    backend?: string;
}

/** One model's answer to one row. */
export interface HandoffResponse {
    ok: boolean;
    /** The parsed answer (null when the row failed). */
    annotation: unknown;
    /** Why the row failed (null when ok). */
    reason: string | null;
    promptTokens?: number;
    completionTokens?: number;
    /** The answer's confidence (runs with `--confidence` or `--samples`); absent where the run did not record one. */
    confidence?: number | null;
}

/** One input row with every model's answer, keyed by model id. */
export interface HandoffRow {
    idx: number;
    /** The kept input columns (a failed row's too, as its error record keeps them; empty for a row that could not be read). */
    columns: Record<string, unknown>;
    responses: Record<string, HandoffResponse>;
    /** A later job step's row: what the earlier steps answered (`steps.<name>`), as the step's template saw it. */
    steps?: Record<string, unknown>;
}

/** What the hand-off commands read from an output dir, in input (idx) order. */
export interface HandoffSource {
    dir: string;
    comparison: boolean;
    models: HandoffModel[];
    rows: HandoffRow[];
    /** Whether every run involved is marked complete. */
    complete: boolean;
    /** The `meta` of the (first) run's manifest. */
    meta: Record<string, unknown>;
    /** The run's recorded schema hash (manifest identity `schema`: sha256 of the answer JSON Schema, 16 hex digits). */
    schemaHash?: string;
}

/**
 * Read a single run's output dir or a multi-model comparison dir (`compare.json` + `models/<id>/`) as one list of
 * rows in idx order, each with every model's answer. Refuses an unfinished run unless `allowIncomplete`.
 * Throws `IncompleteRunError`, `OutputNotFoundError`, `ComparisonDirError`, `ManifestCorruptError`, `ShardCorruptError`.
 */
export async function readHandoffSource(dir: string, options: {allowIncomplete?: boolean} = {}): Promise<HandoffSource> {
    return (await readHandoffSourceWithOutput(dir, options)).source;
}

/**
 * `readHandoffSource`, also giving a single run's committed rows as read (`readOutput`; null for a comparison), so
 * that a caller that writes them as they are does not read every shard again. Throws what `readHandoffSource` throws.
 */
export async function readHandoffSourceWithOutput(
    dir: string,
    options: {allowIncomplete?: boolean} = {}
): Promise<{source: HandoffSource; output: OutputContents | null}> {
    if (isComparisonDir(dir)) {
        const {models, outputs} = await readComparisonDirs(dir);
        const byIdx = new Map<number, HandoffRow>();
        models.forEach((model, i) => {
            const output = outputs[i]!;
            if (options.allowIncomplete !== true) checkComplete(path.join(dir, "models", model.id), output.manifest);
            addOutput(byIdx, model.id, output);
        });
        const source: HandoffSource = {
            dir,
            comparison: true,
            // a local model is named by its file name, a remote one by the server's model name
            models: models.map((model) => ({
                id: model.id,
                model: model.backend === "openai" ? model.model : (model.model.split(/[\\/]/u).pop() ?? model.model),
                ...(typeof model.backend === "string" ? {backend: model.backend} : {})
            })),
            rows: [...byIdx.values()].sort((a, b) => a.idx - b.idx),
            complete: outputs.every((output) => output.manifest.complete),
            meta: outputs[0]?.manifest.meta ?? {},
            ...(typeof outputs[0]?.manifest.identity.schema === "string" ? {schemaHash: outputs[0].manifest.identity.schema} : {})
        };
        return {source, output: null};
    }
    const output = await readOutput(dir, {items: false});
    if (options.allowIncomplete !== true) checkComplete(dir, output.manifest);
    const model = singleModelName(output);
    const id = modelIdOf(model);
    const byIdx = new Map<number, HandoffRow>();
    addOutput(byIdx, id, output);
    const earlier = await readEarlierSteps(output.manifest.meta.input, dir);
    if (earlier !== null) for (const [idx, steps] of earlier) if (byIdx.has(idx)) byIdx.get(idx)!.steps = steps;
    const source: HandoffSource = {
        dir,
        comparison: false,
        models: [{id, model, ...(typeof output.manifest.meta.backend === "string" ? {backend: output.manifest.meta.backend} : {})}],
        rows: [...byIdx.values()].sort((a, b) => a.idx - b.idx),
        complete: output.manifest.complete,
        meta: output.manifest.meta,
        ...(typeof output.manifest.identity.schema === "string" ? {schemaHash: output.manifest.identity.schema} : {})
    };
    return {source, output};
}

/** A model name as an id usable in column, question and metadata names: the file name without `.gguf`, lower-case, [a-z0-9_-]. */
export function modelIdOf(model: string): string {
    const base = model.split(/[\\/]/u).pop() ?? model;
    const id = base
        .replace(/\.gguf$/iu, "")
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/gu, "-")
        .replace(/^-+|-+$/gu, "");
    return id === "" ? "model" : id;
}

function singleModelName(output: OutputContents): string {
    const fromRow = output.rows.find((row) => typeof row.model === "string")?.model;
    if (typeof fromRow === "string") return fromRow;
    const fromMeta = output.manifest.meta.model;
    return typeof fromMeta === "string" ? (fromMeta.split(/[\\/]/u).pop() ?? fromMeta) : "model";
}

function addOutput(byIdx: Map<number, HandoffRow>, modelId: string, output: OutputContents): void {
    const reserved = new Set(RESERVED_OUTPUT_COLUMNS);
    const rowOf = (idx: number): HandoffRow => {
        let row = byIdx.get(idx);
        if (row === undefined) {
            row = {idx, columns: {}, responses: {}};
            byIdx.set(idx, row);
        }
        return row;
    };
    for (const record of output.rows) {
        const row = rowOf(Number(record.idx));
        for (const [name, value] of Object.entries(record)) if (!reserved.has(name) && !(name in row.columns)) row.columns[name] = value;
        row.responses[modelId] = {
            ok: true,
            annotation: record.annotation ?? null,
            reason: null,
            ...(typeof record.prompt_tokens === "number" ? {promptTokens: record.prompt_tokens} : {}),
            ...(typeof record.completion_tokens === "number" ? {completionTokens: record.completion_tokens} : {}),
            ...(typeof record.confidence === "number" || record.confidence === null ? {confidence: record.confidence as number | null} : {})
        };
    }
    for (const record of output.errors) {
        const row = rowOf(Number(record.idx));
        for (const [name, value] of Object.entries(inputColumnsOf(record))) if (!reserved.has(name) && !(name in row.columns)) row.columns[name] = value;
        row.responses[modelId] = {ok: false, annotation: null, reason: typeof record.reason === "string" ? record.reason : String(record.reason ?? "failed")};
    }
}

function checkComplete(dir: string, manifest: Manifest): void {
    if (manifest.complete) return;
    const {rows, errors} = committedCounts(manifest);
    const total = manifest.meta.totalRows;
    const state =
        typeof total === "number" ? `${Math.max(0, total - rows - errors)} of ${total} rows are still missing` : `${rows + errors} rows committed so far`;
    throw new IncompleteRunError(
        `${displayDir(dir)} holds an incomplete run (${state}); re-run the same \`airlabel run\` command to finish it, or pass --allow-incomplete`
    );
}
