import fs from "node:fs/promises";
import path from "node:path";
import {openDataset} from "../datasets/openDataset.js";
import type {OutputFormat} from "../output/OutputRow.js";
import {RESERVED_OUTPUT_COLUMNS} from "../output/OutputRow.js";
import {writeFileDurable} from "../files/durableFs.js";
import type {ColumnKind} from "../output/ColumnKind.js";
import {encodeDataShard, planColumns, shardExtension} from "../output/shardCodec.js";
import {stringifyJson} from "../json/stringifyJson.js";

/** One row moving through a job: its input columns and the answers of the steps it passed, keyed by the original idx. */
export type JobRow = {columns: Record<string, unknown>; steps: Record<string, unknown>};

/** idx -> row, for the rows that passed every step so far. */
export type JobRows = Map<number, JobRow>;

const reserved = new Set(RESERVED_OUTPUT_COLUMNS);

/** The input columns of an output row (the reserved columns airlabel adds taken away). */
export function inputColumnsOf(record: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(record).filter(([name]) => !reserved.has(name)));
}

/** Reads the job's input as rows keyed by their position (malformed rows are left out when skipInvalidRows, else they stop the job). */
export async function readJobInput(input: string, options: {skipInvalidRows?: boolean; inputFormat?: string}): Promise<JobRows> {
    const dataset = await openDataset(input, {
        skipInvalidRows: options.skipInvalidRows === true,
        ...(options.inputFormat !== undefined ? {format: options.inputFormat as "jsonl"} : {})
    });
    const rows: JobRows = new Map();
    for await (const record of dataset.rows()) {
        if ("values" in record) rows.set(record.ordinal, {columns: record.values, steps: {}});
    }
    return rows;
}

/** What a template or filter of a step sees for one row: `idx`, the input columns, and `steps.<name>...`. */
export function viewOf(idx: number, row: JobRow): Record<string, unknown> {
    return {idx, ...row.columns, steps: row.steps};
}

/**
 * Writes a step's input file (JSONL: one `{idx, ...columns, steps}` line per row, in idx order) unless it already
 * holds exactly these bytes, so an unchanged step keeps its input file (and its prepared-rows cache).
 */
export async function writeStepInput(file: string, rows: JobRows): Promise<void> {
    const text = [...rows.entries()]
        .sort(([a], [b]) => a - b)
        .map(([idx, row]) => stringifyJson(viewOf(idx, row)) + "\n")
        .join("");
    const old = await fs.readFile(file, "utf8").catch(() => null);
    if (old === text) return;
    await fs.mkdir(path.dirname(file), {recursive: true});
    await writeFileDurable(file, text);
}

/**
 * Writes the job's result: one row per idx that passed every step (ascending), its input columns, then one
 * column per model step named after it holding what later steps saw as `steps.<name>`.
 */
export async function writeJobResult(dir: string, format: OutputFormat, rows: JobRows, stepNames: readonly string[]): Promise<{file: string; rows: number}> {
    const sorted = [...rows.entries()].sort(([a], [b]) => a - b);
    const records = sorted.map(([idx, row]) => {
        const record: Record<string, unknown> = {idx, ...row.columns};
        for (const name of stepNames) record[name] = row.steps[name] ?? null;
        return record;
    });
    const inputPlan = planColumns(
        sorted.map(([, row]) => row.columns),
        {}
    );
    const plan: Record<string, ColumnKind> = {idx: "int"};
    for (const [, row] of sorted) for (const name of Object.keys(row.columns)) plan[name] ??= inputPlan[name] ?? "json";
    for (const name of stepNames) plan[name] = "json";
    const file = path.join(dir, `result.${shardExtension(format)}`);
    await writeFileDurable(file, encodeDataShard(records, format, plan));
    return {file, rows: records.length};
}
