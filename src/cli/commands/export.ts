import {Option} from "commander";
import type {Command} from "commander";
import type {ExportResult} from "../../output/exportOutput.js";
import {exportOutput} from "../../output/exportOutput.js";
import type {OutputFormat} from "../../output/OutputRow.js";
import {OUTPUT_FORMATS} from "../../output/OutputRow.js";

type ExportFlags = {to: string, format?: OutputFormat, includeErrors?: boolean, allowIncomplete?: boolean, json?: boolean};

/** `airlabel export OUTPUT_DIR --to FILE`: one dataset file of a run's rows, in input order. */
export function registerExportCommand(program: Command): void {
    program.command("export")
        .description("write a run's output dir (shards in generation order) as ONE dataset file in input order (by idx)")
        .argument("<output-dir>", "the --output dir of an airlabel run")
        .requiredOption("--to <file>", "file to write (.jsonl, .parquet or .arrow); written atomically, parent dirs created")
        .addOption(new Option("--format <format>", "file format (default: from the --to extension)").choices([...OUTPUT_FORMATS]))
        .option("--include-errors", "also write the failed rows, with annotation null and an error column holding the reason")
        .option("--allow-incomplete", "export a run that has not finished (its missing rows are left out)")
        .option("--json", "print {rows, errors, file, format, complete} as JSON on stdout")
        .addHelpText("after", `
Examples:
  $ airlabel export out/reviews --to reviews.annotated.parquet
  $ airlabel export out/reviews --to all.jsonl --include-errors
  $ airlabel export out/reviews --to partial.arrow --allow-incomplete --json`)
        .action(async (dir: string, flags: ExportFlags) => {
            const result = await exportOutput({
                dir, to: flags.to,
                ...(flags.format != null ? {format: flags.format} : {}),
                includeErrors: flags.includeErrors === true,
                allowIncomplete: flags.allowIncomplete === true
            });
            process.stderr.write(`airlabel: ${formatExportSummary(result, flags.to, flags.includeErrors === true)}\n`);
            if (flags.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
        });
}

/** The summary line `airlabel export` prints on stderr (without the `airlabel: ` prefix). */
function formatExportSummary(result: ExportResult, shownFile: string, includeErrors: boolean): string {
    const failed = includeErrors
        ? `${result.errors} failed rows included, with an error column`
        : `${result.errors} failed rows excluded`;
    const incomplete = result.complete ? "" : "; the run is incomplete, re-run the same `airlabel run` command to finish it";
    return `exported ${result.rows} rows (${failed}) in input order to ${shownFile}${incomplete}`;
}
