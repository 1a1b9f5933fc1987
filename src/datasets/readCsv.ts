import {Readable} from "node:stream";
import {parse} from "csv-parse";
import type {CsvError, Info} from "csv-parse";
import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {oneLine} from "../oneLine.js";
import {readError, readUtf8Bytes} from "./readTextChunks.js";
import {maxRecordBytes, recordTooLong} from "./maxRecordBytes.js";

/**
 * Streams a CSV (RFC 4180: quoted fields may hold delimiters, newlines and `""` escaped quotes) or,
 * with `delimiter: "\t"`, a TSV file. The first row is the header; every value is a string.
 * Empty lines are skipped. A row with the wrong number of fields becomes an error record.
 * Locations are `name line N`, N being the 1-based line where the row starts.
 * Bytes that are not UTF-8 stop the read with a `DatasetError` naming the line and byte offset (as for JSONL).
 * A quote never closed stops it naming the line of the row where the quote opened; a row longer than
 * `maxRecordBytes()` (counted in characters) stops it too (the parser cannot go on past it).
 */
export async function* readCsv(input: DatasetInput, delimiter: "," | "\t"): AsyncGenerator<RawRecord> {
    const maxBytes = maxRecordBytes();
    /** Where the parser is (it runs ahead of this loop): the last line of the last row it parsed, and the empty lines so far. */
    let parsedEndLine = 0;
    let parsedEmptyLines = 0;
    const parser = parse({
        delimiter,
        bom: true,
        info: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        max_record_size: maxBytes,
        on_record: (record: string[], context: Info) => {
            parsedEndLine = context.lines;
            parsedEmptyLines = context.empty_lines;
            return record;
        }
    });
    const source = openSource(input);
    source.on("error", (err: unknown) => parser.destroy(readError(input, err)));
    source.pipe(parser);

    let header: string[] | undefined;
    let previousEndLine = 0;
    let previousEmptyLines = 0;

    try {
        for await (const item of parser as AsyncIterable<{record: string[]; info: Info}>) {
            const {record, info} = item;
            const startLine = previousEndLine + 1 + (info.empty_lines - previousEmptyLines);
            previousEndLine = info.lines;
            previousEmptyLines = info.empty_lines;

            if (header == null) {
                header = columnNames(input.name, record);
                continue;
            }

            const location = `${input.name} line ${startLine}`;
            if (record.length !== header.length) {
                yield {
                    location,
                    error: `expected ${header.length} fields, found ${record.length}`,
                    unit: "row"
                };
                continue;
            }

            const values: Record<string, unknown> = {};
            for (let i = 0; i < header.length; i++) values[header[i]!] = record[i];
            yield {location, values};
        }
    } catch (err) {
        if (err instanceof DatasetError) throw err;
        const csvError = err as Partial<CsvError> & {empty_lines?: number; column?: number};
        // the row that fails starts after the last one parsed (and the empty lines skipped since)
        const rowLine = parsedEndLine + 1 + ((csvError.empty_lines ?? parsedEmptyLines) - parsedEmptyLines);
        const kind = delimiter === "\t" ? "TSV" : "CSV";
        if (csvError.code === "CSV_QUOTE_NOT_CLOSED")
            throw new DatasetError(
                `${input.name} line ${rowLine}: a quote opened in field ${(csvError.column ?? 0) + 1} of the row starting here is never closed ` +
                    '(the file ends inside it); close it, or double a quote inside a quoted field ("")',
                {cause: err}
            );
        if (csvError.code === "CSV_MAX_RECORD_SIZE")
            throw new DatasetError(`${input.name} line ${rowLine}: the row is ${recordTooLong(maxBytes)}`, {cause: err});
        if (csvError.code?.startsWith("CSV_") === true) throw new DatasetError(`${input.name}: invalid ${kind} (${oneLine(err)}); fix the file`, {cause: err});
        throw readError(input, err);
    } finally {
        source.unpipe(parser);
        source.destroy();
    }
}

/** The header row as column names: empty names become `column_N`; duplicates are an error. */
export function columnNames(name: string, header: string[]): string[] {
    const seen = new Set<string>();
    return header.map((raw, index) => {
        const column = raw.trim().length === 0 ? `column_${index + 1}` : raw;
        if (seen.has(column)) throw new DatasetError(`${name} line 1: duplicate column name ${JSON.stringify(column)} in the header; rename one of them`);
        seen.add(column);
        return column;
    });
}

/** The column names from the header row of a CSV/TSV input (empty when the input is empty). */
export async function readCsvHeader(input: DatasetInput, delimiter: "," | "\t"): Promise<string[]> {
    const parser = parse({delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true});
    const source = openSource(input);
    source.on("error", (err: unknown) => parser.destroy(readError(input, err)));
    source.pipe(parser);
    try {
        for await (const record of parser as AsyncIterable<string[]>) return columnNames(input.name, record);
        return [];
    } catch (err) {
        if (err instanceof DatasetError) throw err;
        throw new DatasetError(`${input.name}: invalid ${delimiter === "\t" ? "TSV" : "CSV"} header (${oneLine(err)}); fix the file`, {cause: err});
    } finally {
        source.unpipe(parser);
        source.destroy();
    }
}

/** The input's bytes, checked to be UTF-8 as they pass (the CSV parser decodes them itself). */
function openSource(input: DatasetInput): Readable {
    return Readable.from(readUtf8Bytes(input), {objectMode: false});
}
