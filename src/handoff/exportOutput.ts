import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError, InvalidOptionError} from "../AirlabelError.js";
import {writeFileDurable} from "../files/durableFs.js";
import type {Manifest} from "../output/Manifest.js";
import {MANIFEST_FILE, committedCounts, displayDir, loadManifest} from "../output/Manifest.js";
import type {OutputFormat} from "../output/OutputRow.js";
import {OUTPUT_FORMATS} from "../output/OutputRow.js";
import {OutputNotFoundError, errorSummaryOf} from "../output/outputErrors.js";
import {readCommitted} from "../output/readOutput.js";
import type {OutputContents} from "../output/readOutput.js";
import {inputColumnsOf} from "../output/inputColumnsOf.js";
import {isOneToManyRun, itemRows} from "../output/itemRows.js";
import {settingsLabel} from "../output/settingsPasses.js";
import {encodeDataShard, planColumns} from "../output/shardCodec.js";

/** An export cannot be made: the target's format cannot be told, the run is incomplete, the target cannot be written. */
export class ExportError extends AirlabelError {}

export interface ExportOutputOptions {
    /** Output dir of an `airlabel run` (the dir holding `manifest.json`). Required (no default). */
    dir: string;
    /** Path of the single dataset file to write; its parent dirs are created. Required (no default). */
    to: string;
    /** Format of the file: "jsonl", "parquet" or "arrow". Defaults to the one named by the extension of `to` (.jsonl/.ndjson, .parquet, .arrow/.feather/.ipc). */
    format?: OutputFormat;
    /** Also write the failed rows, in idx order, with `annotation: null` and an `error` column holding the reason. Defaults to false. */
    includeErrors?: boolean;
    /** Export a run whose manifest is not marked complete (rows still missing are left out). Defaults to false. */
    allowIncomplete?: boolean;
    /**
     * Add an `answered_under` column, last: the settings that gave each row its answer, "run" or, for a row a
     * `--retry-failed` pass answered, "retry 1: maxTokens 4 -> 32". Defaults to false.
     */
    settingsColumn?: boolean;
}

/** What `exportOutput` wrote. */
export interface ExportResult {
    /** Rows written to the file (failed rows included when `includeErrors` is set). */
    rows: number;
    /** Failed rows of the run: written with an `error` column when `includeErrors` is set, left out otherwise. */
    errors: number;
    /** Absolute path of the written file. */
    file: string;
    format: OutputFormat;
    /** Whether the run's manifest is marked complete (false only with `allowIncomplete`). */
    complete: boolean;
    /**
     * A one-to-many run (`oneToMany`), whose rows are the items of its answers: the input rows answered, and how many
     * of them answered with an empty list (they give no row). Absent for other runs.
     */
    oneToMany?: {answeredRows: number; emptyRows: number};
}

/** Column holding the failure reason of a failed row when `includeErrors` is set. */
const EXPORT_ERROR_COLUMN = "error";
/** Column holding the settings that answered each row when `settingsColumn` is set. */
const SETTINGS_COLUMN = "answered_under";

const EXTENSION_FORMATS: Readonly<Record<string, OutputFormat>> = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow"
};

/** The export format named by the extension of `file`, or `undefined` when it names none. */
export function exportFormatOf(file: string): OutputFormat | undefined {
    return EXTENSION_FORMATS[path.extname(file).toLowerCase()];
}

/**
 * Write the committed rows of a run's output dir as ONE dataset file in input order (ascending `idx`),
 * whatever order the shards were generated in. The file is written to a temp file, fsynced and renamed over
 * `to`, so `to` is never half-written. Throws `ExportError`, `InvalidOptionError`, `OutputNotFoundError`,
 * `ManifestCorruptError` or `ShardCorruptError`.
 */
export async function exportOutput(options: ExportOutputOptions): Promise<ExportResult> {
    const format = checkExportOptions(options);
    // refuse an incomplete run before reading every shard
    const manifest = await loadManifest(options.dir);
    if (manifest === undefined)
        throw new OutputNotFoundError(`${displayDir(options.dir)} holds no airlabel output (no ${MANIFEST_FILE}); pass the --output dir of an airlabel run`);
    if (options.allowIncomplete !== true) checkComplete(options.dir, manifest);
    return writeExport(options, format, await readCommitted(options.dir, manifest));
}

/**
 * `exportOutput` for the committed rows of `options.dir` already read (`readOutput`), so that a caller that needed
 * them before does not read every shard again. Throws what `exportOutput` throws, except the read errors.
 */
export async function exportCommitted(options: ExportOutputOptions, contents: OutputContents): Promise<ExportResult> {
    const format = checkExportOptions(options);
    if (options.allowIncomplete !== true) checkComplete(options.dir, contents.manifest);
    return writeExport(options, format, contents);
}

/** The export format of valid options; throws `InvalidOptionError` or `ExportError` (a target inside the run, or no format). */
function checkExportOptions(options: ExportOutputOptions): OutputFormat {
    const {dir, to} = options;
    if (typeof dir !== "string" || dir === "") throw new InvalidOptionError("options.dir must be the output dir of an airlabel run");
    if (typeof to !== "string" || to === "") throw new InvalidOptionError("options.to must be the path of the file to write");
    if (options.format !== undefined && !OUTPUT_FORMATS.includes(options.format))
        throw new InvalidOptionError(`options.format must be one of ${OUTPUT_FORMATS.join(", ")}, got ${JSON.stringify(options.format)}`);
    const format = options.format ?? exportFormatOf(to);
    if (format === undefined) {
        const ext = path.extname(to);
        throw new ExportError(
            `cannot tell the export format of ${to} from its extension (${ext === "" ? "none" : ext}); ` +
                "name it .jsonl, .parquet or .arrow, or pass --format jsonl|parquet|arrow",
            {exitCode: 2}
        );
    }
    checkTarget(dir, to);
    return format;
}

async function writeExport(options: ExportOutputOptions, format: OutputFormat, contents: OutputContents): Promise<ExportResult> {
    const {dir, to} = options;
    const includeErrors = options.includeErrors === true;
    let records = mergeInIdxOrder(dir, contents.rows, contents.errors, includeErrors);
    // a one-to-many run: one row per item, `item` and `row_id` after `idx` (a failed row keeps one row, with nulls)
    const items = isOneToManyRun(contents.manifest) ? itemRows(records, (record) => includeErrors && typeof record[EXPORT_ERROR_COLUMN] === "string") : null;
    if (items !== null) records = items.rows;

    const known = {...(items !== null ? {item: "int" as const, row_id: "string" as const} : {}), ...contents.manifest.columns};
    const added = [...(includeErrors ? [[EXPORT_ERROR_COLUMN, "--include-errors", "failed rows are in its errors/ shards"]] : [])];
    if (options.settingsColumn === true) added.push([SETTINGS_COLUMN, "--settings-column", "`airlabel stats` shows the settings too"]);
    for (const [column, flag, instead] of added) {
        if (column! in known || contents.rows.some((row) => column! in row))
            throw new ExportError(
                `${displayDir(dir)} rows have an input column named "${column}", which ${flag} would overwrite; export without ${flag} (${instead})`
            );
    }
    if (options.settingsColumn === true)
        records = records.map((record) => ({...record, [SETTINGS_COLUMN]: settingsLabel(contents, contents.retryPass.get(Number(record.idx)) ?? 0)}));
    const plan = planColumns(records, known);
    // the failure reason and the settings go last, after airlabel's own columns
    for (const [column] of added) {
        delete plan[column!];
        plan[column!] = "string";
    }
    const bytes = encodeDataShard(records, format, plan);

    const file = path.resolve(to);
    try {
        await fs.mkdir(path.dirname(file), {recursive: true});
        await writeFileDurable(file, bytes);
    } catch (error) {
        throw new ExportError(`could not write ${to} (${errorSummaryOf(error)}); fix the cause or choose another --to`, {cause: error});
    }
    return {
        rows: records.length,
        errors: contents.errors.length,
        file,
        format,
        complete: contents.manifest.complete,
        ...(items !== null ? {oneToMany: {answeredRows: items.answeredRows, emptyRows: items.emptyRows}} : {})
    };
}

/** Refuse targets that would damage the run itself: its manifest or a file in its shard dirs. */
function checkTarget(dir: string, to: string): void {
    const root = path.resolve(dir);
    const target = path.resolve(to);
    const inside = (sub: string) => {
        const relative = path.relative(path.join(root, sub), target);
        return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
    };
    if (target === path.join(root, MANIFEST_FILE) || inside("data") || inside("errors") || target === root)
        throw new ExportError(`--to ${to} would overwrite part of the run in ${displayDir(dir)}; choose a file outside its data/ and errors/ dirs`, {
            exitCode: 2
        });
}

function checkComplete(dir: string, manifest: Manifest): void {
    if (manifest.complete) return;
    const {rows, errors} = committedCounts(manifest);
    const committed = rows + errors;
    const total = manifest.meta.totalRows;
    const state =
        typeof total === "number" && Number.isSafeInteger(total)
            ? total > committed
                ? `${total - committed} of ${total} rows are still missing`
                : `all ${total} rows are committed but the run was not marked complete`
            : `${committed} rows committed so far, the total is not recorded`;
    throw new ExportError(
        `${displayDir(dir)} holds an incomplete run (${state}); re-run the same \`airlabel run\` command to finish it, ` +
            "or pass --allow-incomplete to export the rows committed so far"
    );
}

/**
 * Data rows (and failed rows when `includeErrors`) as one list in strictly ascending idx order.
 * An idx seen twice, or one that is not an integer, is a bug in the store: a plain Error is thrown.
 */
function mergeInIdxOrder(
    dir: string,
    rows: readonly Record<string, unknown>[],
    errors: readonly Record<string, unknown>[],
    includeErrors: boolean
): Record<string, unknown>[] {
    const failedRecords = errors.map(
        (error) =>
            ({
                idx: error.idx,
                // the row's input columns, as its errors record keeps them
                ...inputColumnsOf(error),
                annotation: null,
                finish_reason: error.finish_reason ?? null,
                attempts: error.attempts ?? null,
                model: error.model ?? null,
                [EXPORT_ERROR_COLUMN]: typeof error.reason === "string" ? error.reason : String(error.reason ?? "unknown error")
            }) as Record<string, unknown>
    );
    const tagged = [...rows.map((record) => ({record, failed: false})), ...failedRecords.map((record) => ({record, failed: true}))];
    for (const {record} of tagged) {
        if (typeof record.idx !== "number" || !Number.isSafeInteger(record.idx) || record.idx < 0)
            throw new Error(
                `${displayDir(dir)} holds a row whose idx is ${JSON.stringify(record.idx)}, not a non-negative integer (a bug in the output store)`
            );
    }
    tagged.sort((a, b) => (a.record.idx as number) - (b.record.idx as number));
    for (let i = 1; i < tagged.length; i++) {
        const previous = tagged[i - 1]!;
        const current = tagged[i]!;
        if (previous.record.idx === current.record.idx)
            throw new Error(
                `${displayDir(dir)} holds idx ${String(current.record.idx)} twice ` +
                    `(as ${previous.failed ? "a failed" : "a data"} row and as ${current.failed ? "a failed" : "a data"} row; a bug in the output store)`
            );
    }
    return tagged.filter((entry) => includeErrors || !entry.failed).map((entry) => entry.record);
}
