import path from "node:path";
import {InvalidOptionError} from "../AirlabelError.js";
import {ExportError, exportCommitted} from "./exportOutput.js";
import {MANIFEST_FILE, displayDir} from "../output/Manifest.js";
import {inputColumnsOf} from "../output/inputColumnsOf.js";
import {isOneToManyRun, itemRows} from "../output/itemRows.js";
import {refuseOneToMany} from "./refuseOneToMany.js";
import type {OutputFormat} from "../output/OutputRow.js";
import type {OutputContents} from "../output/readOutput.js";
import {encodeDataShard, inferColumnKind} from "../output/shardCodec.js";
import type {ColumnKind} from "../output/ColumnKind.js";
import {encodeCsv, flattenColumns} from "./encodeCsv.js";
import type {AnswerSpec} from "./loadAnswerSpec.js";
import {specMismatchNote} from "./loadAnswerSpec.js";
import type {HandoffSource} from "./readHandoffSource.js";
import {readHandoffSourceWithOutput} from "./readHandoffSource.js";
import type {AnswerField} from "./resolveAnswerField.js";
import {resolveAnswerField} from "./resolveAnswerField.js";
import {writeOut, writeReviewExport} from "./writeReviewExport.js";

/** What `airlabel export --to` writes. */
export type HandoffTarget = "argilla" | "prodigy" | "label-studio" | "jsonl" | "parquet" | "arrow" | "csv";
export const HANDOFF_TARGETS: readonly HandoffTarget[] = ["argilla", "prodigy", "label-studio", "jsonl", "parquet", "arrow", "csv"];

/** Options of `exportHandoff`. */
export interface ExportHandoffOptions extends AnswerSpec {
    /** Output dir of an `airlabel run`, or a multi-model comparison dir (`compare.json` + `models/<id>/`). Required (no default). */
    dir: string;
    /** What to write. Required (no default). */
    to: HandoffTarget;
    /** Where to write: Argilla a folder (`records.json` + `.argilla/settings.json` + `.argilla/dataset.json`, what `rg.Dataset.from_disk` reads), Label Studio the tasks JSON (its labeling config goes beside it as `<name>.config.xml`), the rest one file. Defaults to `<dir>/export/argilla/`, `<dir>/export/label-studio.json`, `<dir>/export/prodigy.jsonl` or `<dir>/export/data.<ext>`. */
    out?: string;
    /** Key of the annotation object to review (Argilla, Prodigy and Label Studio question). Defaults to the only key, or the first holding labels, true/false or a small scale. */
    field?: string;
    /** Argilla: the dataset's guidelines, markdown text. Defaults to a paragraph naming the models, the field and the source. */
    guidelines?: string;
    /** Input column shown as Prodigy's `text`. Defaults to the `text` column, else the first text column. */
    text?: string;
    /** Tables (jsonl/parquet/arrow/csv) of a single run: also write failed rows, with an `error` column. Defaults to false. */
    includeErrors?: boolean;
    /** Export a run that has not finished (its missing rows are left out). Defaults to false. */
    allowIncomplete?: boolean;
    /** Argilla/Prodigy/Label Studio: "confidence" writes the least confident rows first (runs with `--confidence` or `--samples`; failed rows first of all). Defaults to "idx". */
    order?: "idx" | "confidence";
}

/** What `exportHandoff` wrote. */
export interface ExportHandoffResult {
    to: HandoffTarget;
    /** Absolute paths of the files written (Argilla: records.json, .argilla/settings.json, .argilla/dataset.json; Label Studio: tasks, then config). */
    files: string[];
    /** Records/tasks/rows written. */
    records: number;
    /** Rows left out (Argilla/Prodigy/Label Studio: rows that keep no input columns; tables: failed rows unless includeErrors). */
    skipped: number;
    /** Argilla/Prodigy/Label Studio: records of rows a model failed, included and marked (0 for tables). */
    failed: number;
    comparison: boolean;
    complete: boolean;
    /** The reviewed answer field (Argilla, Prodigy and Label Studio only). */
    field: AnswerField | null;
    /** Things the user should know (the schema given differs from the run's). */
    notes: string[];
    /** Tables of a one-to-many run (one row per item): the input rows answered, and those answered with an empty list (no row). Absent otherwise. */
    oneToMany?: {answeredRows: number; emptyRows: number};
}

const TARGET_NAMES: Readonly<Record<"argilla" | "prodigy" | "label-studio", string>> = {argilla: "Argilla", prodigy: "Prodigy", "label-studio": "Label Studio"};

const DEFAULT_FILES: Readonly<Record<HandoffTarget, string>> = {
    argilla: "argilla",
    prodigy: "prodigy.jsonl",
    "label-studio": "label-studio.json",
    jsonl: "data.jsonl",
    parquet: "data.parquet",
    arrow: "data.arrow",
    csv: "data.csv"
};

/**
 * Export a run (or a multi-model comparison) for people: the Argilla 2.x `from_disk` folder, Prodigy tasks, Label
 * Studio tasks + labeling config, or one flat table in input order. Every file is written to a temp file, fsynced and renamed. Throws `ExportError`,
 * `InvalidOptionError`, `AnswerFieldError`, `IncompleteRunError`, `OutputNotFoundError`, `ComparisonDirError`.
 */
export async function exportHandoff(options: ExportHandoffOptions): Promise<ExportHandoffResult> {
    if (typeof options.dir !== "string" || options.dir === "") throw new InvalidOptionError("options.dir must be the output dir of an airlabel run");
    if (!HANDOFF_TARGETS.includes(options.to))
        throw new InvalidOptionError(`options.to must be one of ${HANDOFF_TARGETS.join(", ")}, got ${JSON.stringify(options.to)}`);
    const out = path.resolve(options.out ?? path.join(options.dir, "export", DEFAULT_FILES[options.to]));
    checkTarget(options.dir, out);
    const allowIncomplete = options.allowIncomplete === true;
    // a single run's rows are read once: the tables below are written from what this read
    const {source, output} = await readHandoffSourceWithOutput(options.dir, {allowIncomplete});
    const review = options.to === "argilla" || options.to === "prodigy" || options.to === "label-studio";
    const note = review ? specMismatchNote(options, source.schemaHash) : undefined;
    const notes = note === undefined ? [] : [note];
    if (options.order !== undefined && options.order !== "idx" && options.order !== "confidence")
        throw new InvalidOptionError(`options.order must be "idx" or "confidence", got ${JSON.stringify(options.order)}`);
    if (options.guidelines !== undefined && options.to !== "argilla")
        throw new ExportError(`--guidelines is for --to argilla (the dataset's guidelines); leave it out with --to ${options.to}`, {exitCode: 2});

    if (options.to === "argilla" || options.to === "prodigy" || options.to === "label-studio") {
        refuseOneToMany(options.dir, source.meta, `the ${TARGET_NAMES[options.to]} export`);
        const field = fieldOf(source, options);
        const written = await writeReviewExport(source, field, {
            to: options.to,
            out,
            ...(options.out !== undefined ? {shown: options.out} : {}),
            ...(options.text !== undefined ? {text: options.text} : {}),
            ...(options.guidelines !== undefined ? {guidelines: options.guidelines} : {}),
            ...(options.order !== undefined ? {order: options.order} : {})
        });
        return {to: options.to, ...written, comparison: source.comparison, complete: source.complete, field, notes};
    }

    if (output !== null && options.to !== "csv") {
        const result = await exportCommitted(
            {dir: options.dir, to: out, format: options.to, includeErrors: options.includeErrors === true, allowIncomplete},
            output
        );
        return {
            to: options.to,
            files: [result.file],
            records: result.rows,
            skipped: options.includeErrors === true ? 0 : result.errors,
            failed: 0,
            comparison: false,
            complete: result.complete,
            field: null,
            notes,
            ...(result.oneToMany !== undefined ? {oneToMany: result.oneToMany} : {})
        };
    }
    const {records, skipped, objectColumns, oneToMany} = output === null ? wideRecords(source) : singleRunRecords(output, options.includeErrors === true);
    if (options.to === "csv") {
        const flat = flattenColumns(records, objectColumns);
        await writeOut(out, encodeCsv(flat.records, flat.columns), options.out);
    } else {
        await writeOut(out, encodeDataShard(records, options.to as OutputFormat, planOf(records, objectColumns)), options.out);
    }
    return {
        to: options.to,
        files: [out],
        records: records.length,
        skipped,
        failed: 0,
        comparison: source.comparison,
        complete: source.complete,
        field: null,
        notes,
        ...(oneToMany !== undefined ? {oneToMany} : {})
    };
}

/** The answer field of a source, from the spec the user gave or the answers themselves. */
export function fieldOf(source: HandoffSource, spec: AnswerSpec & {field?: string}): AnswerField {
    const annotations = source.rows.flatMap((row) =>
        Object.values(row.responses)
            .filter((response) => response.ok)
            .map((response) => response.annotation)
    );
    const schema =
        spec.schema ??
        (typeof source.meta.schema === "object" || typeof source.meta.schema === "boolean"
            ? (source.meta.schema as Record<string, unknown> | boolean)
            : undefined);
    return resolveAnswerField({
        annotations,
        ...(schema !== undefined ? {schema} : {}),
        ...(spec.choices !== undefined ? {choices: spec.choices} : {}),
        ...(spec.field !== undefined ? {field: spec.field} : {})
    });
}

/** The records of a table airlabel builds itself, the rows left out, the columns holding answers, and a one-to-many run's counts. */
type TableRecords = {
    records: Record<string, unknown>[];
    skipped: number;
    objectColumns: Set<string>;
    oneToMany?: {answeredRows: number; emptyRows: number};
};

/** A comparison as one wide table: idx, input columns, then `response_<id>` and `error_<id>` per model. */
function wideRecords(source: HandoffSource): TableRecords {
    const columns: string[] = [];
    for (const row of source.rows) for (const name of Object.keys(row.columns)) if (!columns.includes(name)) columns.push(name);
    const objectColumns = new Set(source.models.map((model) => `response_${model.id}`));
    const records = source.rows.map((row) => {
        const record: Record<string, unknown> = {idx: row.idx};
        for (const name of columns) record[name] = row.columns[name] ?? null;
        for (const model of source.models) {
            const response = row.responses[model.id];
            record[`response_${model.id}`] = response?.ok === true ? response.annotation : null;
            record[`error_${model.id}`] = response === undefined ? "no answer" : response.ok ? null : response.reason;
        }
        return record;
    });
    return {records, skipped: 0, objectColumns};
}

/** A single run's rows (and failed rows when asked) in idx order, as `airlabel export` writes them; a one-to-many run's one per item (see itemRows). */
function singleRunRecords({rows, errors, manifest}: OutputContents, includeErrors: boolean): TableRecords {
    const failed = includeErrors
        ? errors.map((error) => ({
              idx: error.idx,
              ...inputColumnsOf(error),
              annotation: null,
              finish_reason: error.finish_reason ?? null,
              attempts: error.attempts ?? null,
              model: error.model ?? null,
              error: typeof error.reason === "string" ? error.reason : String(error.reason ?? "unknown error")
          }))
        : [];
    const records = [...rows, ...failed].sort((a, b) => Number(a.idx) - Number(b.idx));
    const skipped = includeErrors ? 0 : errors.length;
    if (!isOneToManyRun(manifest)) return {records, skipped, objectColumns: new Set(["annotation"])};
    const failedSet = new Set<Record<string, unknown>>(failed);
    const items = itemRows(records, (record) => failedSet.has(record));
    return {records: items.rows, skipped, objectColumns: new Set(["annotation"]), oneToMany: {answeredRows: items.answeredRows, emptyRows: items.emptyRows}};
}

/** Column kinds for a table airlabel builds itself: answer columns JSON, the rest by their values. */
function planOf(records: readonly Record<string, unknown>[], objectColumns: ReadonlySet<string>): Record<string, ColumnKind> {
    const plan: Record<string, ColumnKind> = {};
    for (const record of records) for (const name of Object.keys(record)) if (!(name in plan)) plan[name] = "string";
    for (const name of Object.keys(plan)) {
        if (objectColumns.has(name)) {
            plan[name] = "json";
            continue;
        }
        plan[name] = name === "idx" ? "int" : (inferColumnKind(records.map((record) => record[name])) ?? "string");
    }
    return plan;
}

/** Refuse targets inside the run's own files (manifest, data/, errors/, models/, reviews/). */
function checkTarget(dir: string, target: string): void {
    const root = path.resolve(dir);
    const inside = (sub: string) => {
        const relative = path.relative(path.join(root, sub), target);
        return !relative.startsWith("..") && !path.isAbsolute(relative);
    };
    if (
        target === root ||
        target === path.join(root, MANIFEST_FILE) ||
        target === path.join(root, "compare.json") ||
        ["data", "errors", "models", "reviews", "cache"].some(inside)
    )
        throw new ExportError(
            `--out ${target} would overwrite part of the run in ${displayDir(dir)}; choose a file outside its data/, errors/, models/ and reviews/ dirs`,
            {exitCode: 2}
        );
}
