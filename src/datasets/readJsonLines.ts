import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {oneLine} from "../oneLine.js";
import {JsonValueError, parseJsonText} from "../json/parseJsonText.js";
import {maxRecordBytes, recordTooLong} from "./maxRecordBytes.js";
import {readTextChunks} from "./readTextChunks.js";

/**
 * Streams a JSONL file line by line. Blank lines are skipped (they are not records);
 * a line that is not a JSON object becomes an error record, and so does a line longer than `maxBytes`
 * (its text is not kept: the rest of it is skipped). Locations are `name line N` (1-based).
 */
export async function* readJsonLines(input: DatasetInput, maxBytes = maxRecordBytes()): AsyncGenerator<RawRecord> {
    let lineNumber = 0;
    /** The start of the current line, from earlier chunks, and its size in bytes. */
    let pending: string[] = [];
    let pendingBytes = 0;
    let skipping = false;
    let first = true;

    for await (let chunk of readTextChunks(input)) {
        if (first) {
            first = false;
            if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        }
        let start = 0;
        let newline = chunk.indexOf("\n", start);
        while (newline !== -1) {
            lineNumber++;
            if (!skipping) {
                const piece = chunk.slice(start, newline);
                const record =
                    pendingBytes + piece.length * 3 > maxBytes && pendingBytes + Buffer.byteLength(piece) > maxBytes
                        ? tooLong(input.name, lineNumber, maxBytes)
                        : parseLine(input.name, pending.length === 0 ? piece : pending.join("") + piece, lineNumber);
                if (record != null) yield record;
            }
            pending = [];
            pendingBytes = 0;
            skipping = false;
            start = newline + 1;
            newline = chunk.indexOf("\n", start);
        }
        if (skipping || start === chunk.length) continue;
        const rest = chunk.slice(start);
        pendingBytes += Buffer.byteLength(rest);
        if (pendingBytes > maxBytes) {
            skipping = true;
            pending = [];
            yield tooLong(input.name, lineNumber + 1, maxBytes);
        } else pending.push(rest);
    }

    if (pending.length > 0) {
        lineNumber++;
        const record = parseLine(input.name, pending.join(""), lineNumber);
        if (record != null) yield record;
    }
}

function tooLong(name: string, lineNumber: number, maxBytes: number): RawRecord {
    return {location: `${name} line ${lineNumber}`, error: `the line is ${recordTooLong(maxBytes)}`, unit: "line"};
}

function parseLine(name: string, line: string, lineNumber: number): RawRecord | undefined {
    if (line.trim().length === 0) return undefined;

    return parseJsonRecord(line, `${name} line ${lineNumber}`, "line");
}

/**
 * Parses `text` as one JSON object record, exactly (`parseJsonText`: integers beyond 2^53 as bigint). Invalid JSON,
 * a non-object, a value nested too deep, a duplicate key or a number beyond a float becomes an error record at `location`.
 */
export function parseJsonRecord(text: string, location: string, unit: string): RawRecord {
    let value: unknown;
    try {
        value = parseJsonText(text);
    } catch (err) {
        if (err instanceof JsonValueError) return {location, error: err.message, unit};
        return {location, error: `invalid JSON (${oneLine(err)})`, unit};
    }
    const kind = jsonKind(value);
    if (kind !== "object") return {location, error: `expected a JSON object, found ${kind}`, unit};
    return {location, values: value as Record<string, unknown>};
}

/** "object", "array", "string", "number", "boolean" or "null". */
function jsonKind(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    return typeof value;
}
