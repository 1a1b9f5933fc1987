import {asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema} from "hyparquet";
import type {AsyncBuffer, FileMetaData, SchemaTree} from "hyparquet";
import {compressors} from "hyparquet-compressors";
import type {ColumnInfo} from "./Dataset.js";
import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {oneLine} from "../oneLine.js";
import {openByteStream, readError} from "./readTextChunks.js";
import {parseJsonText} from "../json/parseJsonText.js";
import {isList, listElement, parquetFieldValue} from "./parquetValue.js";

/** An opened Parquet file: its footer metadata and random access to its bytes. */
export type ParquetFile = {
    file: AsyncBuffer;
    metadata: FileMetaData;
};

/**
 * Opens a Parquet input and reads its footer. A file is read with random access; a stream (stdin)
 * is buffered in memory first, since Parquet keeps its metadata at the end.
 */
export async function openParquet(input: DatasetInput): Promise<ParquetFile> {
    let file: AsyncBuffer;
    try {
        file = input.path != null ? await asyncBufferFromFile(input.path) : await bufferStream(openByteStream(input));
    } catch (err) {
        throw readError(input, err);
    }
    try {
        const metadata = await parquetMetadataAsync(file);
        return {file, metadata};
    } catch (err) {
        throw invalidParquet(input, err);
    }
}

/** JSON columns parsed exactly (integers beyond 2^53 as bigint, as for JSONL input). */
const exactJsonParsers = {jsonFromBytes: (bytes: Uint8Array) => parseJsonText(textDecoder.decode(bytes))};
const textDecoder = new TextDecoder();

/**
 * Streams the rows of a Parquet file one row group at a time. Locations are `name row N` (0-based).
 * Each row group must give the rows its footer entry declares, and the groups the file's `num_rows`:
 * otherwise a `DatasetError` names the file (a row is never dropped or made up without a word).
 */
export async function* readParquet(input: DatasetInput, opened?: ParquetFile): AsyncGenerator<RawRecord> {
    const {file, metadata} = opened ?? (await openParquet(input));
    const total = parquetRowCount(input, {file, metadata});
    const fields = parquetSchema(metadata).children;
    let groupStart = 0;
    for (const rowGroup of metadata.row_groups) {
        const groupRows = Number(rowGroup.num_rows);
        if (groupRows === 0) continue;
        const where = `rows ${groupStart}-${groupStart + groupRows - 1}`;
        let rows: Record<string, unknown>[];
        /** Values decoded per column: hyparquet pads a short column with undefined, and cuts a long one. */
        const decoded = new Map<string, number>();
        try {
            rows = await parquetReadObjects({
                file,
                metadata,
                compressors,
                parsers: exactJsonParsers,
                rowStart: groupStart,
                rowEnd: groupStart + groupRows,
                onChunk: (chunk) => decoded.set(chunk.columnName, (decoded.get(chunk.columnName) ?? 0) + chunk.rowEnd - chunk.rowStart)
            });
        } catch (err) {
            throw invalidParquet(input, err, where);
        }
        for (const [column, count] of decoded)
            if (count !== groupRows)
                throw countMismatch(input, `column ${column} of ${where} holds ${count} values, not the ${groupRows} rows its footer declares`);
        if (rows.length !== groupRows) throw countMismatch(input, `${where} gave ${rows.length} rows, not the ${groupRows} its footer declares`);
        for (let i = 0; i < rows.length; i++) {
            const row = rows[i]!;
            const values: Record<string, unknown> = {};
            for (const field of fields) values[field.element.name] = parquetFieldValue(field, row[field.element.name]);
            yield {location: `${input.name} row ${groupStart + i}`, values};
        }
        groupStart += groupRows;
    }
    if (groupStart !== total) throw countMismatch(input, `its row groups hold ${groupStart} rows, not the ${total} its footer declares`);
}

/**
 * The number of rows of a Parquet file, from its footer: `num_rows`, which must equal the sum of its row groups'
 * (a file where they differ is refused, naming it, rather than read as fewer rows).
 */
export function parquetRowCount(input: DatasetInput, opened: ParquetFile): number {
    const total = Number(opened.metadata.num_rows);
    const groups = opened.metadata.row_groups.reduce((sum, group) => sum + Number(group.num_rows), 0);
    if (groups !== total || !Number.isSafeInteger(total) || total < 0)
        throw countMismatch(input, `its row groups hold ${groups} rows, not the ${opened.metadata.num_rows} its footer declares`);
    return total;
}

function countMismatch(input: DatasetInput, what: string): DatasetError {
    return new DatasetError(`${input.name}: ${what}; the Parquet file is corrupt or was written incompletely, write it again`);
}

/** The top-level columns of a Parquet file with readable type names. */
export function parquetColumns(opened: ParquetFile): ColumnInfo[] {
    return parquetSchema(opened.metadata).children.map((child) => ({
        name: child.element.name,
        type: parquetTypeName(child)
    }));
}

/** The type of `node`; a repeated one is a list of it, unless `asElement` (it is a list's element). */
function parquetTypeName(node: SchemaTree, asElement = false): string {
    const {element, children} = node;
    const converted = element.converted_type;
    const logical = element.logical_type?.type;
    if (element.repetition_type === "REPEATED" && !asElement) return `list<${parquetTypeName(node, true)}>`;

    if (children.length > 0) {
        if (isList(node)) return `list<${parquetTypeName(listElement(node), true)}>`;
        if (converted === "MAP" || converted === "MAP_KEY_VALUE" || logical === "MAP") {
            const entries = children[0];
            const key = entries?.children[0];
            const value = entries?.children[1];
            return `map<${key == null ? "null" : parquetTypeName(key)}, ${value == null ? "null" : parquetTypeName(value)}>`;
        }
        if (logical === "VARIANT") return "json";
        return `struct<${children.map((child) => `${child.element.name}: ${parquetTypeName(child)}`).join(", ")}>`;
    }
    return parquetLeafTypeName(node);
}

function parquetLeafTypeName({element}: SchemaTree): string {
    const converted = element.converted_type;
    const logical = element.logical_type;

    if (converted === "DECIMAL" || logical?.type === "DECIMAL") return `decimal(${element.precision ?? "?"},${element.scale ?? 0})`;
    if (converted === "DATE" || logical?.type === "DATE") return "date";
    if (converted === "TIMESTAMP_MILLIS" || converted === "TIMESTAMP_MICROS" || logical?.type === "TIMESTAMP" || element.type === "INT96") return "timestamp";
    if (converted === "TIME_MILLIS" || converted === "TIME_MICROS" || logical?.type === "TIME") return "time";
    if (converted === "JSON" || logical?.type === "JSON") return "json";
    if (converted === "UTF8" || converted === "ENUM" || logical?.type === "STRING" || logical?.type === "ENUM" || logical?.type === "UUID") return "string";
    if (logical?.type === "FLOAT16") return "float16";
    if (logical?.type === "INTEGER") return `${logical.isSigned ? "int" : "uint"}${logical.bitWidth}`;
    switch (converted) {
        case "INT_8":
            return "int8";
        case "INT_16":
            return "int16";
        case "INT_32":
            return "int32";
        case "INT_64":
            return "int64";
        case "UINT_8":
            return "uint8";
        case "UINT_16":
            return "uint16";
        case "UINT_32":
            return "uint32";
        case "UINT_64":
            return "uint64";
    }
    switch (element.type) {
        case "BOOLEAN":
            return "bool";
        case "INT32":
            return "int32";
        case "INT64":
            return "int64";
        case "FLOAT":
            return "float32";
        case "DOUBLE":
            return "float64";
        case "BYTE_ARRAY":
            return "string"; // hyparquet decodes unannotated byte arrays as UTF-8 text
        case "FIXED_LEN_BYTE_ARRAY":
            return "binary";
        default:
            return "binary";
    }
}

function invalidParquet(input: DatasetInput, err: unknown, where?: string): DatasetError {
    if (err instanceof DatasetError) return err;
    return new DatasetError(`${input.name}${where == null ? "" : ` ${where}`}: cannot read Parquet (${oneLine(err)}); check that it is a valid Parquet file`, {
        cause: err
    });
}

async function bufferStream(stream: NodeJS.ReadableStream): Promise<AsyncBuffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    const all = Buffer.concat(chunks);
    const bytes = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    return {
        byteLength: bytes.byteLength,
        slice: (start: number, end?: number) => bytes.slice(start, end)
    };
}
