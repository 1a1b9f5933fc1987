import path from "node:path";
import {Option} from "commander";
import type {Command} from "commander";
import type {DatasetFormat} from "../../datasets/Dataset.js";
import {datasetFormats} from "../../datasets/Dataset.js";
import type {DatasetInspection} from "../../datasets/inspectDataset.js";
import {inspectDataset} from "../../datasets/inspectDataset.js";
import {InvalidOptionError} from "../../AirlabelError.js";
import {formatBytes} from "../../engine/local/placement/fitMemory.js";
import {inspectGpus, type GpuInspection} from "../../engine/local/placement/inspectGpus.js";
import type {GpuChoice} from "../../options/AnnotateOptions.js";

type InspectFlags = {json?: boolean; format?: DatasetFormat; skipInvalidRows?: boolean; gpus?: boolean; gpu?: GpuChoice};

/** `airlabel inspect DATASET`: prints a dataset's row count and columns (JSON with --json); `airlabel inspect --gpus`: the GPUs and llama.cpp builds. */
export function registerInspectCommand(program: Command): void {
    program
        .command("inspect")
        .description(
            "show a dataset's row count and columns (JSONL, JSON, CSV, TSV, Parquet, Arrow, Hugging Face save_to_disk folders, shard folders, globs, or - for stdin); with --gpus, the GPUs and llama.cpp builds found"
        )
        .argument("[dataset]", "file, folder, glob (quote it), or - for stdin")
        .option("--json", "print {rows, columns} (with --gpus: the GPU report) as JSON on stdout")
        .option(
            "--gpus",
            "instead of a dataset: the GPUs llama.cpp sees (index, device name, card), their memory, and which llama.cpp builds are installed (prebuilt, local, patched for placement)"
        )
        .addOption(new Option("--gpu <backend>", "with --gpus: the backend to load (default auto)").choices(["auto", "cuda", "metal", "vulkan", "cpu"]))
        .addOption(new Option("--format <format>", "input format (default: from the file extension; jsonl for stdin)").choices([...datasetFormats]))
        .option("--skip-invalid-rows", "count malformed records instead of stopping at the first one")
        .addHelpText(
            "after",
            `
Examples:
  $ airlabel inspect data/train.parquet
  $ airlabel inspect "shards/*.jsonl" --json
  $ cat rows.csv | airlabel inspect - --format csv
  $ airlabel inspect --gpus`
        )
        .action(async (dataset: string | undefined, flags: InspectFlags) => {
            if (flags.gpus === true) {
                if (dataset !== undefined) throw new InvalidOptionError("inspect --gpus takes no dataset; run inspect DATASET and inspect --gpus separately");
                const report = await inspectGpus(flags.gpu ?? "auto");
                process.stdout.write(flags.json === true ? `${JSON.stringify(report)}\n` : formatGpuInspection(report));
                return;
            }
            if (dataset === undefined) throw new InvalidOptionError("inspect needs a dataset (file, folder, glob or -), or --gpus");
            const inspection = await inspectDataset(dataset, {
                ...(flags.format != null ? {format: flags.format} : {}),
                skipInvalidRows: flags.skipInvalidRows === true
            });
            process.stdout.write(
                flags.json === true ? `${JSON.stringify({rows: inspection.rows, columns: inspection.columns})}\n` : formatInspection(inspection)
            );
        });
}

/** The readable report `airlabel inspect` prints without --json. */
function formatInspection(inspection: DatasetInspection): string {
    const files =
        inspection.files.length === 0
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
        for (const column of inspection.columns) lines.push(`  ${column.name.padEnd(width)}  ${column.type}`);
    }
    return `${lines.join("\n")}\n`;
}

/** The readable report of `airlabel inspect --gpus`. */
function formatGpuInspection(report: GpuInspection): string {
    const binaries = (list: GpuInspection["localBuilds"]) =>
        list.length === 0 ? "none" : list.map((binary) => `${binary.name} (${binary.gpu}${binary.patched ? ", patched for placement" : ""})`).join(", ");
    const lines = [
        `backend        ${report.backend} (${report.buildType === "localBuild" ? "host build" : "prebuilt binary"}${report.patched ? ", patched: --split-mode, --tensor-split, --main-gpu, --devices available" : ", not patched: --split-mode, --tensor-split, --main-gpu, --devices need " + report.buildCommand})`,
        `gpus           ${report.devices.length === 0 ? "none found" : report.devices.length}`,
        ...report.devices.map(
            (description, index) => `  ${index}  ${report.deviceNames[index] !== undefined ? `${report.deviceNames[index]}  ` : ""}${description}`
        ),
        ...(report.vram !== null ? [`vram           ${formatBytes(report.vram.free)} free of ${formatBytes(report.vram.total)} (all GPUs)`] : []),
        `prebuilt       ${binaries(report.prebuiltBinaries)}`,
        `local builds   ${binaries(report.localBuilds)}`
    ];
    return `${lines.join("\n")}\n`;
}
