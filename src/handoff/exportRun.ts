import fs from "node:fs/promises";
import path from "node:path";
import {isComparisonDir} from "../compare/readComparison.js";
import {exportHandoff, HANDOFF_TARGETS, type ExportHandoffResult, type HandoffTarget} from "./exportHandoff.js";
import {ExportError, exportFormatOf, exportOutput, type ExportResult} from "./exportOutput.js";
import {loadAnswerSpec, type LoadAnswerSpecOptions} from "./loadAnswerSpec.js";

/** Options of `exportRun` (`airlabel export`). */
export interface ExportRunOptions extends LoadAnswerSpecOptions {
    /** Output dir of an `airlabel run`, or a comparison dir. Required. */
    dir: string;
    /** A hand-off target (argilla, prodigy, label-studio, jsonl, parquet, arrow, csv), or a file name (.jsonl .parquet .arrow .csv) to write one table there. Required. */
    to: string;
    /** Where to write with a hand-off target (Argilla: a folder). Defaults to `<dir>/export/argilla/`, `label-studio.json`, `prodigy.jsonl` or `data.<ext>`. */
    out?: string;
    /** Argilla: a markdown file whose text becomes the dataset's guidelines. Defaults to none (airlabel's own paragraph). */
    guidelines?: string;
    /** With `to` a file name: its format. Defaults to the one its extension names. */
    format?: "jsonl" | "parquet" | "arrow" | "csv";
    /** Argilla/Prodigy: the answer key to review. Defaults as in ExportHandoffOptions. */
    field?: string;
    /** Prodigy: the input column shown as text. Defaults as in ExportHandoffOptions. */
    text?: string;
    /** Tables: also write the failed rows, with an error column. Defaults to false. */
    includeErrors?: boolean;
    /** Export a run that has not finished. Defaults to false. */
    allowIncomplete?: boolean;
    /** jsonl/parquet/arrow tables of one run: an `answered_under` column (see ExportOutputOptions). Defaults to false. */
    settingsColumn?: boolean;
    /** Argilla/Prodigy/Label Studio: "confidence" writes the least confident rows first (see ExportHandoffOptions). Defaults to "idx". */
    order?: "idx" | "confidence";
}

/** What `exportRun` wrote: one table of a run in input order (`to` a .jsonl/.parquet/.arrow file), or a hand-off. */
export type ExportRunResult = {kind: "table"; file: string; result: ExportResult} | {kind: "handoff"; result: ExportHandoffResult};

/**
 * `airlabel export` as one call: `to` a jsonl/parquet/arrow file name writes a single run's table there
 * (exportOutput); a hand-off target, a .csv file or a comparison dir go through exportHandoff, with the answer spec
 * read from `schema`, `choices` and `config`.
 */
export async function exportRun(options: ExportRunOptions): Promise<ExportRunResult> {
    const includeErrors = options.includeErrors === true;
    const allowIncomplete = options.allowIncomplete === true;
    let to = options.to;
    let out = options.out;
    if (!(HANDOFF_TARGETS as readonly string[]).includes(to)) {
        // to FILE: one table in input order, as before `to` named targets
        const format = options.format ?? (path.extname(to).toLowerCase() === ".csv" ? "csv" : exportFormatOf(to));
        if (format !== "csv" && format !== undefined && !isComparisonDir(options.dir))
            return {
                kind: "table",
                file: to,
                result: await exportOutput({dir: options.dir, to, format, includeErrors, allowIncomplete, settingsColumn: options.settingsColumn === true})
            };
        if (format === undefined) {
            const ext = path.extname(to);
            throw new ExportError(
                `cannot tell the export format of ${to} from its extension (${ext === "" ? "none" : ext}); ` +
                    `name it .jsonl, .parquet, .arrow or .csv, pass --format, or pass --to ${HANDOFF_TARGETS.join("|")} with --out`,
                {exitCode: 2}
            );
        }
        out = to;
        to = format;
    }
    if (options.settingsColumn === true)
        throw new ExportError(
            `--settings-column writes a .jsonl, .parquet or .arrow table of one run; ${to} is not one (airlabel stats ${options.dir} shows the settings too)`,
            {exitCode: 2}
        );
    if (options.order !== undefined && options.order !== "idx" && (to === "jsonl" || to === "parquet" || to === "arrow" || to === "csv"))
        throw new ExportError(
            `--order ${options.order} orders the tasks of --to argilla, prodigy or label-studio; a ${to} table is in input order (sort it by its confidence column)`,
            {exitCode: 2}
        );
    const spec = await loadAnswerSpec({
        ...(options.schema !== undefined ? {schema: options.schema} : {}),
        ...(options.config !== undefined ? {config: options.config} : {}),
        ...(options.choices !== undefined ? {choices: options.choices} : {})
    });
    const guidelines = options.guidelines === undefined ? undefined : await readGuidelines(options.guidelines);
    return {
        kind: "handoff",
        result: await exportHandoff({
            ...(guidelines !== undefined ? {guidelines} : {}),
            dir: options.dir,
            to: to as HandoffTarget,
            ...spec,
            includeErrors,
            allowIncomplete,
            ...(out !== undefined ? {out} : {}),
            ...(options.field !== undefined ? {field: options.field} : {}),
            ...(options.text !== undefined ? {text: options.text} : {}),
            ...(options.order !== undefined ? {order: options.order} : {})
        })
    };
}

/** The text of a `--guidelines` file. Throws `ExportError` naming the file when it cannot be read or is empty. */
async function readGuidelines(file: string): Promise<string> {
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (error) {
        throw new ExportError(`--guidelines ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path`, {
            exitCode: 2,
            cause: error
        });
    }
    if (text.trim() === "") throw new ExportError(`--guidelines ${file} is empty; write the annotation guidelines in it (markdown)`, {exitCode: 2});
    return text;
}
