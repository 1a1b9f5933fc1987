import path from "node:path";
import {Option} from "commander";
import type {Command} from "commander";
import {HANDOFF_TARGETS, type ExportHandoffResult} from "../../handoff/exportHandoff.js";
import {exportRun} from "../../handoff/exportRun.js";
import {REVIEW_TARGETS, exportFromReviews, type ReviewExportFlags} from "../reviewExports.js";
import {choiceList} from "../../jobs/jobOptions.js";
import type {AnswerField} from "../../handoff/resolveAnswerField.js";
import type {ExportResult} from "../../handoff/exportOutput.js";
import type {OutputFormat} from "../../output/OutputRow.js";

type ExportFlags = ReviewExportFlags & {
    to: string;
    out?: string;
    format?: OutputFormat | "csv";
    field?: string;
    schema?: string;
    choices?: string;
    config?: string;
    text?: string;
    guidelines?: string;
    includeErrors?: boolean;
    allowIncomplete?: boolean;
    settingsColumn?: boolean;
    order?: "idx" | "confidence";
    json?: boolean;
};

/** `airlabel export OUTPUT_DIR --to argilla|prodigy|label-studio|jsonl|parquet|arrow|csv [--out PATH]` (or `--to FILE`): hand a run to people, or write it as one file. */
export function registerExportCommand(program: Command): void {
    program
        .command("export")
        .description(
            "hand a run (or a model comparison) to people: an Argilla 2.x from_disk folder, Prodigy tasks, Label Studio tasks + labeling config, or one jsonl/parquet/arrow/csv file in input order (by idx)"
        )
        .argument("<output-dir>", "the --output dir of an airlabel run, or a comparison dir (compare.json + models/)")
        .requiredOption(
            "--to <target>",
            `${[...HANDOFF_TARGETS, ...REVIEW_TARGETS].join("|")}, or a file name (.jsonl .parquet .arrow .csv) to write one table there`
        )
        .option(
            "--out <path>",
            "where to write (default: <output-dir>/export/argilla/, label-studio.json, prodigy.jsonl, data.<ext>); Argilla writes a folder (records.json + .argilla/), Label Studio its config beside the tasks as <name>.config.xml"
        )
        .addOption(
            new Option("--format <format>", "with --to FILE: the file format (default: from its extension)").choices(["jsonl", "parquet", "arrow", "csv"])
        )
        .option("--field <key>", "Argilla/Prodigy: the answer key to review (default: the only key, or the first holding labels, true/false or a small scale)")
        .option("--schema <file.json>", "the JSON Schema the run used: its enum/boolean/integer range decide the question (labels, binary, rating)")
        .option("--choices <a,b,c>", "the labels the run used (airlabel run --choices)")
        .option("--config <job.json|job.yaml>", "the run's job file: its schema and choices are used")
        .option("--text <column>", "Prodigy: the input column shown as text (default: text, else the first text column)")
        .option("--guidelines <file.md>", "Argilla: a markdown file that becomes the dataset's guidelines")
        .option("--include-errors", "tables: also write the failed rows, with annotation null and an error column holding the reason")
        .option("--allow-incomplete", "export a run that has not finished (its missing rows are left out)")
        .option("--template <file>", "sft/preference: the run's prompt template, which renders each row's instruction (or --prompt, or --config)")
        .option("--prompt <template>", "sft/preference: the run's template given inline")
        .option("--system <text>", "sft/preference: the run's system message")
        .option("--system-file <file>", "sft/preference: the run's system message, read from a file")
        .option("--settings-column", 'tables: an answered_under column, "run" or the --retry-failed pass that answered the row ("retry 1: maxTokens 4 -> 32")')
        .addOption(
            new Option(
                "--order <order>",
                "argilla/prodigy/label-studio: confidence writes the least confident rows first (runs with --confidence or --samples); idx: input order (default)"
            ).choices(["idx", "confidence"])
        )
        .option("--json", "print what was written as JSON on stdout")
        .addHelpText(
            "after",
            `
Examples:
  $ airlabel export out/reviews --to prodigy --choices positive,negative,neutral
  $ airlabel export out/reviews --to argilla --schema schema.json --guidelines guidelines.md --out review/argilla
  $ airlabel export out/compare --to label-studio --choices positive,negative,neutral
  $ airlabel export out/compare --to csv --out compare.csv
  $ airlabel export out/reviews --to reviews.annotated.parquet
  $ airlabel export out/reviews --to all.jsonl --include-errors --json
  $ airlabel export out/reviews --to gold --out gold.jsonl            # the reviewed answers of airlabel review over the model's
  $ airlabel export out/compare --to preference --config job.yaml     # chosen/rejected pairs from the reviewers' ratings`
        )
        .action(async (dir: string, flags: ExportFlags) => {
            if ((REVIEW_TARGETS as readonly string[]).includes(flags.to)) return exportFromReviews(dir, flags);
            const includeErrors = flags.includeErrors === true;
            const exported = await exportRun({
                dir,
                to: flags.to,
                includeErrors,
                allowIncomplete: flags.allowIncomplete === true,
                settingsColumn: flags.settingsColumn === true,
                ...(flags.format !== undefined ? {format: flags.format} : {}),
                ...(flags.out !== undefined ? {out: flags.out} : {}),
                ...(flags.schema !== undefined ? {schema: flags.schema} : {}),
                ...(flags.config !== undefined ? {config: flags.config} : {}),
                ...(flags.choices !== undefined ? {choices: choiceList(flags.choices)} : {}),
                ...(flags.field !== undefined ? {field: flags.field} : {}),
                ...(flags.text !== undefined ? {text: flags.text} : {}),
                ...(flags.guidelines !== undefined ? {guidelines: flags.guidelines} : {}),
                ...(flags.order !== undefined ? {order: flags.order} : {})
            });
            if (exported.kind === "table") process.stderr.write(`airlabel: ${formatExportSummary(exported.result, exported.file, includeErrors)}\n`);
            else {
                for (const note of exported.result.notes) process.stderr.write(`airlabel: note: ${note}\n`);
                process.stderr.write(`airlabel: ${formatHandoffSummary(exported.result, includeErrors)}\n`);
            }
            if (flags.json === true) process.stdout.write(`${JSON.stringify(exported.result)}\n`);
        });
}

/** The summary line of `airlabel export --to FILE` for jsonl/parquet/arrow (without the `airlabel: ` prefix). */
function formatExportSummary(result: ExportResult, shownFile: string, includeErrors: boolean): string {
    const failed = includeErrors ? `${result.errors} failed rows included, with an error column` : `${result.errors} failed rows excluded`;
    const incomplete = result.complete ? "" : "; the run is incomplete, re-run the same `airlabel run` command to finish it";
    return `exported ${result.rows} rows (${itemsText(result.oneToMany)}${failed}) in input order to ${shownFile}${incomplete}`;
}

/** A one-to-many run's part of an export summary: "one per item of 3 answered input rows, 1 of them an empty list (no row); ". */
function itemsText(counts: {answeredRows: number; emptyRows: number} | undefined): string {
    if (counts === undefined) return "";
    const empty = counts.emptyRows > 0 ? `, ${counts.emptyRows} of them an empty list (no row)` : "";
    return `one per item of ${counts.answeredRows} answered input row${counts.answeredRows === 1 ? "" : "s"}${empty}; `;
}

/** The summary line of a hand-off export (without the `airlabel: ` prefix). */
export function formatHandoffSummary(result: ExportHandoffResult, includeErrors: boolean): string {
    const shown = result.files.map(displayPath);
    const incomplete = result.complete ? "" : "; the run is incomplete, re-run the same `airlabel run` command to finish it";
    const skipped = result.skipped === 0 ? "" : `; ${result.skipped} unreadable ${result.skipped === 1 ? "row" : "rows"} left out, with no text to show`;
    const marked = result.failed === 0 ? "" : `; ${result.failed} ${result.failed === 1 ? "row" : "rows"} a model failed included and marked`;
    const what = `(${result.field === null ? "" : fieldText(result.field)}${marked}${skipped})`;
    if (result.to === "argilla")
        return `exported ${result.records} Argilla records ${what} to the folder ${displayPath(path.dirname(result.files[0]!))} (load it with rg.Dataset.from_disk)${incomplete}`;
    if (result.to === "prodigy") return `exported ${result.records} Prodigy tasks ${what} to ${shown[0]}${incomplete}`;
    if (result.to === "label-studio")
        return `exported ${result.records} Label Studio tasks ${what} to ${shown[0]} and the labeling config to ${shown[1]}${incomplete}`;
    const failed = result.comparison
        ? "one row per idx, one response column per model"
        : includeErrors
          ? "failed rows included, with an error column"
          : `${result.skipped} failed rows excluded`;
    return `exported ${result.records} rows (${itemsText(result.oneToMany)}${failed}) in input order to ${shown[0]}${incomplete}`;
}

function fieldText(field: AnswerField): string {
    const what =
        field.kind === "label"
            ? `labels ${field.labels?.join(", ") ?? ""}`
            : field.kind === "rating"
              ? `scale ${field.values?.[0] ?? "?"}..${field.values?.at(-1) ?? "?"}`
              : field.kind === "binary"
                ? "true/false"
                : field.kind === "number"
                  ? "a number"
                  : "free text";
    return `field ${field.name}: ${what}${field.source === "answers" ? ", read from the answers (pass --schema or --choices to fix it)" : ""}`;
}

/** A written file as a path relative to the current directory when it lies below it, else absolute. */
function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
