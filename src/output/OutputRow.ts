import type {ColumnKind} from "./ColumnKind.js";

/** A row's key across re-runs and the content it was answered from (16 hex digits each; see RowKeys), as `keys/` shards record them. */
export interface RowKey {
    key: string;
    /** The first 16 hex digits of the record's sha256; "" for a row that could not be read. */
    content: string;
}

/** One successfully annotated dataset row, as handed to `OutputStore.add()`. */
export interface AnnotatedRow {
    /** Stable index of the row in the input dataset. */
    idx: number;
    /** Kept input columns (JSON-serializable); their names never collide with `RESERVED_OUTPUT_COLUMNS`. */
    columns: Record<string, unknown>;
    /** Parsed JSON answer, or the answer text for free-text jobs. */
    annotation: unknown;
    /** Why generation stopped: "stop" | "length" | ... */
    finishReason: string;
    promptTokens: number;
    completionTokens: number;
    attempts: number;
    model: string;
    /** The answer's confidence in 0..1 (`--confidence`, `--samples`), null where none could be measured; absent: the run does not record it (no `confidence` column). */
    confidence?: number | null;
    /** Recorded in the commit's `keys/` shard, so that a re-run can match the row. Defaults to none. */
    rowKey?: RowKey;
}

/** One dataset row that could not be annotated, as handed to `OutputStore.fail()`. */
export interface FailedRow {
    idx: number;
    stage: "input" | "prepare" | "generate" | "validate" | "hook";
    reason: string;
    /** Last raw answer of the model, if any. */
    response: string | null;
    finishReason: string | null;
    attempts: number;
    model: string | null;
    /** Where the row came from, e.g. "data.jsonl line 12". */
    location?: string;
    /** The row's kept input columns, as a data row would have them; absent for a row that could not be read. */
    columns?: Record<string, unknown>;
    /** As for AnnotatedRow. Defaults to none. */
    rowKey?: RowKey;
}

/** Output shard formats for data rows (error rows are always JSONL). */
export type OutputFormat = "jsonl" | "parquet" | "arrow";

export const OUTPUT_FORMATS: readonly OutputFormat[] = ["jsonl", "parquet", "arrow"];

/**
 * The columns airlabel writes next to the kept input columns of a data row, in order, and how parquet/arrow shards
 * store them. `confidence` (an OPTIONAL_COLUMNS one) is written only by runs that record it; input columns may not use
 * any of these names.
 */
export const RESERVED_COLUMN_KINDS: Readonly<Record<string, ColumnKind>> = {
    idx: "int",
    annotation: "json",
    finish_reason: "string",
    prompt_tokens: "int",
    completion_tokens: "int",
    attempts: "int",
    model: "string",
    confidence: "double"
};

/** Reserved columns only the shards of runs that record them have. */
export const OPTIONAL_COLUMNS: ReadonlySet<string> = new Set(["confidence"]);

/** Column names airlabel writes next to the kept input columns of a data row; input columns must not use them. */
export const RESERVED_OUTPUT_COLUMNS: readonly string[] = Object.keys(RESERVED_COLUMN_KINDS);

/** The flat record of a data row: `idx`, the kept input columns, then the reserved columns. */
export function dataRecordOf(row: AnnotatedRow): Record<string, unknown> {
    const record: Record<string, unknown> = {idx: row.idx};
    for (const [name, value] of Object.entries(row.columns)) record[name] = value === undefined ? null : value;
    record.annotation = row.annotation === undefined ? null : row.annotation;
    record.finish_reason = row.finishReason;
    record.prompt_tokens = row.promptTokens;
    record.completion_tokens = row.completionTokens;
    record.attempts = row.attempts;
    record.model = row.model;
    if (row.confidence !== undefined) record.confidence = row.confidence;
    return record;
}

/**
 * The record of an error row, as written to the JSONL error shards: airlabel's fields, then the row's input columns
 * under `columns` (nested, so that none can collide with `reason`, `response` and the rest).
 */
export function errorRecordOf(row: FailedRow): Record<string, unknown> {
    return {
        idx: row.idx,
        stage: row.stage,
        reason: row.reason,
        response: row.response,
        finish_reason: row.finishReason,
        attempts: row.attempts,
        model: row.model,
        location: row.location ?? null,
        ...(row.columns !== undefined ? {columns: row.columns} : {})
    };
}
