/** Input formats airlabel reads. */
export type DatasetFormat = "jsonl" | "json" | "csv" | "tsv" | "parquet" | "arrow";

/** Every `DatasetFormat`, in the order they are listed to users. */
export const datasetFormats: readonly DatasetFormat[] = ["jsonl", "json", "csv", "tsv", "parquet", "arrow"];

/**
 * One column of a dataset.
 * `type` is a readable type name: "string", "int32", "int64", "float32", "float64", "bool", "null",
 * "binary", "date", "timestamp", "decimal(p,s)", "list<T>", "struct<a: T, ...>", "map<K, V>", or "json"
 * (mixed JSON values). JSONL/JSON types are inferred from the first 100 records; CSV/TSV columns are "string".
 */
export type ColumnInfo = {
    name: string;
    type: string;
};

/** A record read successfully: `values` holds plain JSON values (see `toPlainValue`); an integer beyond 2^53 is a bigint (write it with `stringifyJson`). */
export type DatasetValuesRecord = {
    /** 0-based position of the record across all files of the dataset; stable for the same input. */
    ordinal: number;
    /** Human-readable position, e.g. `data.jsonl line 12` or `train-00001.parquet row 40`. */
    location: string;
    values: Record<string, unknown>;
};

/** A malformed record, yielded only when `skipInvalidRows` is on. */
export type DatasetErrorRecord = {
    /** 0-based position of the record across all files of the dataset; stable for the same input. */
    ordinal: number;
    /** Human-readable position, e.g. `data.jsonl line 12`. */
    location: string;
    /** What is wrong with the record, e.g. `invalid JSON (Unexpected token } in JSON at position 8)`. */
    error: string;
};

export type DatasetRecord = DatasetValuesRecord | DatasetErrorRecord;

/** An opened dataset: one or more files of one format, read as a stream of records. */
export interface Dataset {
    /** The spec it was opened from (a path, folder, glob, or "-" for stdin). */
    readonly source: string;
    readonly format: DatasetFormat;
    /** Absolute paths of the files read, in reading order; empty for stdin. */
    readonly files: string[];

    /** Columns of the dataset (from the file schema, the CSV header, or inferred from the first 100 JSON records). */
    columns(): Promise<ColumnInfo[]>;

    /**
     * Streams the records in order with constant memory. Each call starts again from the first record
     * (stdin can be read only once). Throws `DatasetError` at the first malformed record unless
     * `skipInvalidRows` is on, in which case it yields a `DatasetErrorRecord` in its place.
     */
    rows(): AsyncIterable<DatasetRecord>;
}
