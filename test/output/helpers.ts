import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type {AnnotatedRow, FailedRow} from "../../src/output/OutputRow.js";

export function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-"));
}

export const IDENTITY = {input: "a".repeat(64), template: "1a2b3c4d".repeat(8), schema: "c".repeat(64), model: "d".repeat(64), sampling: '{"temperature":0}'};

export function annotated(
    idx: number,
    columns: Record<string, unknown> = {text: `row ${idx}`},
    annotation: unknown = {label: idx % 2 === 0 ? "even" : "odd"}
): AnnotatedRow {
    return {idx, columns, annotation, finishReason: "stop", promptTokens: 10 + idx, completionTokens: 5, attempts: 1, model: "tiny.gguf"};
}

export function failed(idx: number): FailedRow {
    return {
        idx,
        stage: "validate",
        reason: "answer does not match the schema",
        response: '{"label": 3}',
        finishReason: "stop",
        attempts: 3,
        model: "tiny.gguf",
        location: `data.jsonl line ${idx + 1}`
    };
}
