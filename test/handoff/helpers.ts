import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {OutputStore} from "../../src/output/OutputStore.js";
import type {OutputFormat} from "../../src/output/OutputRow.js";

export function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-handoff-"));
}

const IDENTITY = {input: "a".repeat(64), template: "b".repeat(64), schema: "c".repeat(64), model: "d".repeat(64)};

/** One row of a test run: its input columns and the model's answer, or `failed` with a reason (and the columns the error record keeps). */
export type TestRow = {idx: number; columns: Record<string, unknown>; answer: unknown} | {idx: number; failed: string; columns?: Record<string, unknown>};

/**
 * A real run dir written by OutputStore, shards of 2 rows committed in the order given (generation order, not input
 * order), marked complete unless told otherwise.
 */
export async function writeRun(
    dir: string,
    rows: readonly TestRow[],
    options: {model?: string; format?: OutputFormat; complete?: boolean; meta?: Record<string, unknown>} = {}
): Promise<string> {
    const model = options.model ?? "tiny.gguf";
    const store = await OutputStore.open({
        dir,
        format: options.format ?? "jsonl",
        shardSize: 2,
        identity: IDENTITY,
        meta: {model: `/models/${model}`, totalRows: rows.length, ...options.meta}
    });
    try {
        for (const row of rows) {
            if ("failed" in row)
                await store.fail({
                    idx: row.idx,
                    stage: "validate",
                    reason: row.failed,
                    response: "{",
                    finishReason: "length",
                    attempts: 3,
                    model,
                    ...(row.columns !== undefined ? {columns: row.columns} : {})
                });
            else
                await store.add({
                    idx: row.idx,
                    columns: row.columns,
                    annotation: row.answer,
                    finishReason: "stop",
                    promptTokens: 10 + row.idx,
                    completionTokens: 4,
                    attempts: 1,
                    model
                });
        }
        if (options.complete === false) await store.commit();
        else await store.markComplete({});
    } finally {
        await store.close();
    }
    return dir;
}

/** A comparison dir in the fixed layout: `compare.json` + `models/<id>/` written by OutputStore. */
export async function writeComparison(dir: string, models: readonly {id: string; model: string; rows: readonly TestRow[]}[]): Promise<string> {
    fs.mkdirSync(dir, {recursive: true});
    for (const model of models) await writeRun(path.join(dir, "models", model.id), model.rows, {model: model.model});
    fs.writeFileSync(path.join(dir, "compare.json"), JSON.stringify(comparisonFile(models.map((model) => ({id: model.id, model: model.model}))), null, 2));
    return dir;
}

export function readJsonl(file: string): Record<string, unknown>[] {
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function writeJsonl(file: string, records: readonly unknown[]): string {
    fs.writeFileSync(file, records.map((record) => JSON.stringify(record)).join("\n") + "\n");
    return file;
}

/** The content of `compare.json` for these models (local backend, jsonl shards, no merged view). */
export function comparisonFile(models: readonly {id: string; model: string}[]): Record<string, unknown> {
    const at = "2026-11-24T00:00:00.000Z";
    return {
        format: "airlabel-comparison",
        version: 1,
        models: models.map((model) => ({id: model.id, model: model.model, backend: "local", dir: `models/${model.id}`})),
        outputFormat: "jsonl",
        merged: null,
        createdAt: at,
        updatedAt: at
    };
}
