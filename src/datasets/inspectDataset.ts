import type {ColumnInfo, DatasetFormat} from "./Dataset.js";
import type {OpenDatasetOptions} from "./openDataset.js";
import {openDataset} from "./openDataset.js";

/** What `inspectDataset` reports. */
export type DatasetInspection = {
    source: string;
    format: DatasetFormat;
    /** Absolute paths of the files read; empty for stdin. */
    files: string[];
    /** Number of records (malformed ones included when invalid rows are skipped). */
    rows: number;
    /** Number of malformed records (always 0 unless `skipInvalidRows`). */
    invalidRows: number;
    columns: ColumnInfo[];
};

/**
 * Reports a dataset's format, files, columns and row count. Parquet row counts come from the file
 * footers; Arrow from batch headers; other formats are streamed (and validated) to count.
 */
export async function inspectDataset(spec: string, options: OpenDatasetOptions = {}): Promise<DatasetInspection> {
    const dataset = await openDataset(spec, options);
    const columns = await dataset.columns();
    const {rows, invalidRows} = await dataset.countRows();
    return {source: dataset.source, format: dataset.format, files: dataset.files, rows, invalidRows, columns};
}
