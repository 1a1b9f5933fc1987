import {parquetWriteBuffer} from "hyparquet-writer";
import {parquetMetadata, parquetReadObjects} from "hyparquet";
import type {SchemaElement} from "hyparquet";
import {Bool, Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray} from "apache-arrow";
import type {DataType, Vector} from "apache-arrow";
import type {ColumnKind} from "./ColumnKind.js";
import {OPTIONAL_COLUMNS, RESERVED_COLUMN_KINDS, type OutputFormat} from "./OutputRow.js";
import {parseJsonText} from "../json/parseJsonText.js";
import {stringifyJson} from "../json/stringifyJson.js";

/** Field metadata key marking an arrow Utf8 column whose values are JSON text. */
const ARROW_JSON_KEY = "airlabel.json";

/** File extension of a data shard in `format`. */
export function shardExtension(format: OutputFormat): string {
    return format === "jsonl" ? "jsonl" : format;
}

/** The kind that holds every non-null value of `values`, or `undefined` when all are null. */
export function inferColumnKind(values: readonly unknown[]): ColumnKind | undefined {
    let kind: ColumnKind | undefined;
    for (const value of values) {
        if (value === null || value === undefined) continue;
        let own: ColumnKind;
        if (typeof value === "string") own = "string";
        else if (typeof value === "boolean") own = "bool";
        else if (typeof value === "number") own = Number.isSafeInteger(value) ? "int" : "double";
        else if (typeof value === "bigint") own = value >= minInt64 && value <= maxInt64 ? "int" : "json";
        else own = "json";
        kind = kind === undefined ? own : mergeColumnKinds(kind, own);
        if (kind === "json") return kind;
    }
    return kind;
}

const minInt64 = -(2n ** 63n);
const maxInt64 = 2n ** 63n - 1n;

/** The narrowest kind holding values of both kinds (numbers widen to double, anything else mixed to json). */
function mergeColumnKinds(a: ColumnKind, b: ColumnKind): ColumnKind {
    if (a === b) return a;
    if ((a === "int" && b === "double") || (a === "double" && b === "int")) return "double";
    return "json";
}

/**
 * Decide the column order and kinds of a shard: reserved kinds are fixed, known input columns (from earlier
 * shards) keep their kind when this shard's values fit it, so that shards of one run share a schema.
 */
export function planColumns(records: readonly Record<string, unknown>[], known: Readonly<Record<string, ColumnKind>>): Record<string, ColumnKind> {
    const names: string[] = ["idx"];
    const seen = new Set(names);
    const reserved = new Set(Object.keys(RESERVED_COLUMN_KINDS));
    const addName = (name: string) => {
        if (!seen.has(name) && !reserved.has(name)) {
            seen.add(name);
            names.push(name);
        }
    };
    for (const name of Object.keys(known)) addName(name);
    for (const record of records) for (const name of Object.keys(record)) addName(name);
    const present = (name: string) => name in known || records.some((record) => name in record);
    for (const name of Object.keys(RESERVED_COLUMN_KINDS)) if (name !== "idx" && (!OPTIONAL_COLUMNS.has(name) || present(name))) names.push(name);

    const plan: Record<string, ColumnKind> = {};
    for (const name of names) {
        const fixed = RESERVED_COLUMN_KINDS[name];
        if (fixed !== undefined) {
            plan[name] = fixed;
            continue;
        }
        const own = inferColumnKind(records.map((record) => record[name]));
        const previous = known[name];
        plan[name] = own === undefined ? (previous ?? "string") : previous === undefined ? own : mergeColumnKinds(previous, own);
    }
    return plan;
}

function columnValues(records: readonly Record<string, unknown>[], name: string): unknown[] {
    return records.map((record) => {
        const value = record[name];
        return value === undefined ? null : value;
    });
}

/** Encode data records (already sorted by idx) as one shard file. */
export function encodeDataShard(records: readonly Record<string, unknown>[], format: OutputFormat, plan: Readonly<Record<string, ColumnKind>>): Uint8Array {
    if (format === "jsonl") {
        const lines = records.map((record) => {
            const ordered: Record<string, unknown> = {};
            for (const name of Object.keys(plan)) ordered[name] = record[name] === undefined ? null : record[name];
            return stringifyJson(ordered) + "\n";
        });
        return Buffer.from(lines.join(""), "utf8");
    }
    if (format === "parquet") return encodeParquet(records, plan);
    return encodeArrow(records, plan);
}

function encodeParquet(records: readonly Record<string, unknown>[], plan: Readonly<Record<string, ColumnKind>>): Uint8Array {
    const names = Object.keys(plan);
    const schema: SchemaElement[] = [{name: "root", num_children: names.length}];
    const columnData = names.map((name) => {
        const kind = plan[name] ?? "json";
        const values = columnValues(records, name);
        let data: unknown[];
        switch (kind) {
            case "string":
                schema.push({
                    name,
                    type: "BYTE_ARRAY",
                    converted_type: "UTF8",
                    logical_type: {type: "STRING"},
                    repetition_type: "OPTIONAL"
                });
                data = values;
                break;
            case "int":
                schema.push({name, type: "INT64", repetition_type: "OPTIONAL"});
                data = values.map((value) => (value === null ? null : BigInt(value as number)));
                break;
            case "double":
                schema.push({name, type: "DOUBLE", repetition_type: "OPTIONAL"});
                data = values;
                break;
            case "bool":
                schema.push({name, type: "BOOLEAN", repetition_type: "OPTIONAL"});
                data = values;
                break;
            case "json":
                if (values.some(holdsBigint)) {
                    // the writer's JSON encoding would turn integers beyond 2^53 into floats: encoded here, and marked
                    // JSON by the logical type only (the converted type would make the writer encode them again)
                    schema.push({name, type: "BYTE_ARRAY", logical_type: {type: "JSON"}, repetition_type: "OPTIONAL"});
                    data = values.map((value) => (value === null ? null : textEncoder.encode(stringifyJson(value))));
                    break;
                }
                // the writer JSON-encodes the values itself for JSON columns
                schema.push({
                    name,
                    type: "BYTE_ARRAY",
                    converted_type: "JSON",
                    logical_type: {type: "JSON"},
                    repetition_type: "OPTIONAL"
                });
                data = values;
                break;
        }
        return {name, data};
    });
    const buffer = parquetWriteBuffer({columnData, schema, codec: "SNAPPY", createdBy: "airlabel"});
    return new Uint8Array(buffer);
}

function encodeArrow(records: readonly Record<string, unknown>[], plan: Readonly<Record<string, ColumnKind>>): Uint8Array {
    const fields: Field[] = [];
    const vectors: Vector[] = [];
    for (const [name, kind] of Object.entries(plan)) {
        const values = columnValues(records, name);
        let type: DataType;
        let data: unknown[] = values;
        let metadata: Map<string, string> | undefined;
        switch (kind) {
            case "string":
                type = new Utf8();
                break;
            case "int":
                type = new Int64();
                data = values.map((value) => (value === null ? null : BigInt(value as number)));
                break;
            case "double":
                type = new Float64();
                break;
            case "bool":
                type = new Bool();
                break;
            case "json":
                type = new Utf8();
                data = values.map((value) => (value === null ? null : stringifyJson(value)));
                metadata = new Map([[ARROW_JSON_KEY, "true"]]);
                break;
        }
        const vector = vectorFromArray(data, type) as Vector;
        fields.push(new Field(name, type, true, metadata));
        vectors.push(vector);
    }
    const schema = new Schema(fields);
    const struct = makeData({
        type: new Struct(fields),
        length: records.length,
        nullCount: 0,
        children: vectors.map((vector) => vector.data[0]!)
    });
    const table = new Table(schema, [new RecordBatch(schema, struct)]);
    return tableToIPC(table, "file");
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** JSON columns decoded exactly (integers beyond 2^53 as bigint), whether marked by converted or logical type. */
const exactJsonParsers = {jsonFromBytes: (bytes: Uint8Array) => parseJsonText(textDecoder.decode(bytes))};

function plainValue(value: unknown): unknown {
    if (typeof value === "bigint") return value <= maxSafe && value >= -maxSafe ? Number(value) : value;
    return value === undefined ? null : value;
}

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** Whether a JSON value holds a bigint anywhere. */
function holdsBigint(value: unknown): boolean {
    if (typeof value === "bigint") return true;
    if (value === null || typeof value !== "object") return false;
    return (Array.isArray(value) ? value : Object.values(value)).some(holdsBigint);
}

/**
 * Decode a data shard back to flat records (annotation and other JSON columns parsed back, int64 as numbers).
 * With `idxOnly`, only the `idx` column is read where the format allows it.
 */
export async function decodeDataShard(bytes: Uint8Array, format: OutputFormat, idxOnly = false): Promise<Record<string, unknown>[]> {
    if (format === "jsonl") return decodeJsonl(bytes);
    if (format === "parquet") {
        const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        const metadata = parquetMetadata(file);
        const jsonColumns = new Set(
            metadata.schema.filter((element) => element.logical_type?.type === "JSON" && element.converted_type !== "JSON").map((element) => element.name)
        );
        const rows = await parquetReadObjects(idxOnly ? {file, metadata, columns: ["idx"]} : {file, metadata, parsers: exactJsonParsers});
        return rows.map((row) => {
            const record: Record<string, unknown> = {};
            for (const [name, value] of Object.entries(row))
                record[name] = jsonColumns.has(name) && typeof value === "string" ? parseJsonText(value) : plainValue(value);
            return record;
        });
    }
    const table = tableFromIPC(bytes);
    const fields = table.schema.fields.filter((field) => !idxOnly || field.name === "idx");
    const records: Record<string, unknown>[] = Array.from({length: table.numRows}, () => ({}));
    for (const field of fields) {
        const vector = table.getChild(field.name);
        if (vector == null) continue;
        const isJson = field.metadata.get(ARROW_JSON_KEY) === "true";
        for (let i = 0; i < table.numRows; i++) {
            const value: unknown = vector.get(i);
            records[i]![field.name] = isJson && typeof value === "string" ? parseJsonText(value) : plainValue(value);
        }
    }
    return records;
}

/** Parse JSONL bytes (one JSON object per line, blank lines ignored). Throws on a malformed line. */
export function decodeJsonl(bytes: Uint8Array): Record<string, unknown>[] {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    const records: Record<string, unknown>[] = [];
    for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        records.push(parseJsonText(line) as Record<string, unknown>);
    }
    return records;
}
