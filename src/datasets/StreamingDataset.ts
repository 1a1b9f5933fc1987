import type {ColumnInfo, Dataset, DatasetFormat, DatasetRecord} from "./Dataset.js";
import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {StdinSource} from "./StdinSource.js";
import {inferColumns} from "./inferColumns.js";
import {countArrowRows, readArrow, readArrowColumns} from "./readArrow.js";
import {readCsv, readCsvHeader} from "./readCsv.js";
import {readJsonArray} from "./readJsonArray.js";
import {readJsonLines} from "./readJsonLines.js";
import type {ParquetFile} from "./readParquet.js";
import {openParquet, parquetColumns, parquetRowCount, readParquet} from "./readParquet.js";

/** How many records JSONL/JSON column types are inferred from. */
export const inferenceSampleSize = 100;

/** Row counts of a dataset. */
export type DatasetRowCount = {
    /** All records, malformed ones included (the number of ordinals). */
    rows: number;
    /** Malformed records (only counted when invalid rows are skipped; otherwise the first one throws). */
    invalidRows: number;
};

/** A `Dataset` over files on disk or stdin, read as a stream with constant memory. */
export class StreamingDataset implements Dataset {
    public readonly source: string;
    public readonly format: DatasetFormat;
    public readonly files: string[];
    private readonly names: string[];
    private readonly skipInvalidRows: boolean;
    private readonly stdin: StdinSource | undefined;
    private stdinParquet: Promise<ParquetFile> | undefined;

    public constructor(options: {
        source: string;
        format: DatasetFormat;
        files: string[];
        names: string[];
        skipInvalidRows: boolean;
        stdin?: NodeJS.ReadableStream;
    }) {
        this.source = options.source;
        this.format = options.format;
        this.files = options.files;
        this.names = options.names;
        this.skipInvalidRows = options.skipInvalidRows;
        this.stdin = options.stdin == null ? undefined : new StdinSource(options.stdin);
    }

    public async columns(): Promise<ColumnInfo[]> {
        switch (this.format) {
            case "jsonl":
            case "json": {
                const samples: Record<string, unknown>[] = [];
                for (const input of this.inputs(true)) {
                    for await (const record of this.readInput(input)) {
                        if ("values" in record) samples.push(record.values);
                        if (samples.length >= inferenceSampleSize) break;
                    }
                    if (samples.length >= inferenceSampleSize) break;
                }
                return inferColumns(samples);
            }
            case "csv":
            case "tsv": {
                const [first] = this.inputs(true);
                return first == null ? [] : (await readCsvHeader(first, this.format === "tsv" ? "\t" : ",")).map((name) => ({name, type: "string"}));
            }
            case "parquet": {
                const [first] = this.inputs(true);
                return first == null ? [] : parquetColumns(await this.openParquet(first));
            }
            case "arrow": {
                const [first] = this.inputs(true);
                return first == null ? [] : readArrowColumns(first);
            }
        }
    }

    public async *rows(): AsyncGenerator<DatasetRecord> {
        let ordinal = 0;
        for (const input of this.inputs(false)) {
            for await (const raw of this.readInput(input)) {
                if ("error" in raw) {
                    if (!this.skipInvalidRows) throw new DatasetError(`${raw.location}: ${raw.error}; fix the ${raw.unit} or pass --skip-invalid-rows`);
                    yield {ordinal, location: raw.location, error: raw.error};
                } else yield {ordinal, location: raw.location, values: raw.values};
                ordinal++;
            }
        }
    }

    /** Counts the records: from the footer for Parquet, from batch headers for Arrow, by streaming otherwise. */
    public async countRows(): Promise<DatasetRowCount> {
        if (this.format === "parquet") {
            let rows = 0;
            for (const input of this.inputs(false)) rows += parquetRowCount(input, await this.openParquet(input));
            return {rows, invalidRows: 0};
        }
        if (this.format === "arrow") {
            let rows = 0;
            for (const input of this.inputs(false)) rows += await countArrowRows(input);
            return {rows, invalidRows: 0};
        }
        let rows = 0;
        let invalidRows = 0;
        for await (const record of this.rows()) {
            rows++;
            if ("error" in record) invalidRows++;
        }
        return {rows, invalidRows};
    }

    /** The inputs in reading order; for stdin, a peeking stream (`peek`) or the one full read. */
    private inputs(peek: boolean): DatasetInput[] {
        if (this.stdin != null) {
            if (this.format === "parquet") return [{name: "stdin"}]; // read through the buffered copy (openParquet)
            return [{name: "stdin", stream: peek ? this.stdin.peekStream() : this.stdin.stream()}];
        }
        return this.files.map((file, index) => ({name: this.names[index] ?? file, path: file}));
    }

    private readInput(input: DatasetInput): AsyncGenerator<RawRecord> {
        switch (this.format) {
            case "jsonl":
                return readJsonLines(input);
            case "json":
                return readJsonArray(input);
            case "csv":
                return readCsv(input, ",");
            case "tsv":
                return readCsv(input, "\t");
            case "arrow":
                return readArrow(input);
            case "parquet":
                return this.readParquet(input);
        }
    }

    private async *readParquet(input: DatasetInput): AsyncGenerator<RawRecord> {
        yield* readParquet(input, await this.openParquet(input));
    }

    private openParquet(input: DatasetInput): Promise<ParquetFile> {
        if (this.stdin == null) return openParquet(input);
        // Parquet keeps its metadata at the end: stdin is buffered once, then read like a file.
        this.stdinParquet ??= openParquet({name: "stdin", stream: this.stdin.stream()});
        return this.stdinParquet;
    }
}
