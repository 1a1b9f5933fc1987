import {InvalidOptionError} from "../AirlabelError.js";
import type {DatasetFormat} from "./Dataset.js";
import {datasetFormats} from "./Dataset.js";
import {StreamingDataset} from "./StreamingDataset.js";
import {resolveDatasetSpec} from "./resolveDatasetSpec.js";

/** Options of `openDataset`. */
export type OpenDatasetOptions = {
    /** Input format, overriding detection by file extension (needed to read stdin as anything but JSONL). Defaults to detection by extension, and "jsonl" for stdin. */
    format?: DatasetFormat;
    /** Yield malformed records (bad JSON line, CSV row with the wrong field count) as error records instead of throwing. Defaults to false. */
    skipInvalidRows?: boolean;
    /** Stream read when the spec is "-". Defaults to process.stdin. */
    stdin?: NodeJS.ReadableStream;
};

/**
 * Opens a dataset for streaming. `spec` is a file (format by extension: .jsonl/.ndjson, .json,
 * .csv, .tsv, .parquet, .arrow/.feather/.ipc/.arrows), a Hugging Face `save_to_disk` folder, a plain
 * folder of shards (one format, read in name order), a glob (`data/*.jsonl`), or "-" for stdin.
 * Throws `DatasetError` when the input is missing, empty or of an unsupported kind.
 */
export async function openDataset(spec: string, options: OpenDatasetOptions = {}): Promise<StreamingDataset> {
    if (options.format != null && !datasetFormats.includes(options.format))
        throw new InvalidOptionError(`options.format must be one of ${datasetFormats.join(", ")} (got ${JSON.stringify(options.format)})`);

    const resolved = await resolveDatasetSpec(spec, options.format);
    return new StreamingDataset({
        source: spec,
        format: resolved.format,
        files: resolved.files,
        names: resolved.names,
        skipInvalidRows: options.skipInvalidRows ?? false,
        stdin: resolved.stdin ? (options.stdin ?? process.stdin) : undefined
    });
}
