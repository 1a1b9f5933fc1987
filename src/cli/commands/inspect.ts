import path from "node:path";
import {Option} from "commander";
import type {Command} from "commander";
import type {DatasetFormat} from "../../datasets/Dataset.js";
import {datasetFormats} from "../../datasets/Dataset.js";
import type {DatasetInspection} from "../../datasets/inspectDataset.js";
import {inspectDataset} from "../../datasets/inspectDataset.js";

type InspectFlags = {json?: boolean, format?: DatasetFormat, skipInvalidRows?: boolean};

/** `airlabel inspect DATASET`: prints a dataset's row count and columns (JSON with --json). */
export function registerInspectCommand(program: Command): void {
    program.command("inspect")
        .description("show a dataset's row count and columns (JSONL, JSON, CSV, TSV, Parquet, Arrow, Hugging Face save_to_disk folders, shard folders, globs, or - for stdin)")
        .argument("<dataset>", "file, folder, glob (quote it), or - for stdin")
        .option("--json", "print {rows, columns} as JSON on stdout")
        .addOption(new Option("--format <format>", "input format (default: from the file extension; jsonl for stdin)").choices([...datasetFormats]))
        .option("--skip-invalid-rows", "count malformed records instead of stopping at the first one")
        .addHelpText("after", `
Examples:
  $ airlabel inspect data/train.parquet
  $ airlabel inspect "shards/*.jsonl" --json
  $ cat rows.csv | airlabel inspect - --format csv`)
        .action(async (dataset: string, flags: InspectFlags) => {
            const inspection = await inspectDataset(dataset, {
                ...(flags.format != null ? {format: flags.format} : {}),
                skipInvalidRows: flags.skipInvalidRows === true
            });
            process.stdout.write(flags.json === true
                ? `${JSON.stringify({rows: inspection.rows, columns: inspection.columns})}\n`
                : formatInspection(inspection));
        });
}

/** The readable report `airlabel inspect` prints without --json. */
function formatInspection(inspection: DatasetInspection): string {
    const files = inspection.files.length === 0
        ? "stdin"
        : inspection.files.length === 1
            ? path.basename(inspection.files[0]!)
            : `${inspection.files.length} files (${path.basename(inspection.files[0]!)} ... ${path.basename(inspection.files[inspection.files.length - 1]!)})`;
    const lines = [
        `dataset  ${inspection.source}`,
        `format   ${inspection.format}`,
        `files    ${files}`,
        `rows     ${inspection.rows}${inspection.invalidRows > 0 ? ` (${inspection.invalidRows} invalid)` : ""}`,
        `columns  ${inspection.columns.length}`
    ];
    if (inspection.columns.length > 0) {
        const width = Math.max(4, ...inspection.columns.map((column) => column.name.length));
        lines.push("", `  ${"name".padEnd(width)}  type`);
        for (const column of inspection.columns)
            lines.push(`  ${column.name.padEnd(width)}  ${column.type}`);
    }
    return `${lines.join("\n")}\n`;
}
