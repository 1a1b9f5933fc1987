import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {oneLine} from "../oneLine.js";
import {readTextChunks} from "./readTextChunks.js";

/**
 * Streams a JSONL file line by line. Blank lines are skipped (they are not records);
 * a line that is not a JSON object becomes an error record. Locations are `name line N` (1-based).
 */
export async function* readJsonLines(input: DatasetInput): AsyncGenerator<RawRecord> {
    let lineNumber = 0;
    let pending = "";
    let first = true;

    for await (let chunk of readTextChunks(input)) {
        if (first) {
            first = false;
            if (chunk.charCodeAt(0) === 0xfeff)
                chunk = chunk.slice(1);
        }
        let start = 0;
        let newline = chunk.indexOf("\n", start);
        while (newline !== -1) {
            const line = pending + chunk.slice(start, newline);
            pending = "";
            lineNumber++;
            const record = parseLine(input.name, line, lineNumber);
            if (record != null)
                yield record;
            start = newline + 1;
            newline = chunk.indexOf("\n", start);
        }
        pending += chunk.slice(start);
    }

    if (pending.length > 0) {
        lineNumber++;
        const record = parseLine(input.name, pending, lineNumber);
        if (record != null)
            yield record;
    }
}

function parseLine(name: string, line: string, lineNumber: number): RawRecord | undefined {
    if (line.trim().length === 0)
        return undefined;

    return parseJsonRecord(line, `${name} line ${lineNumber}`, "line");
}

/** Parses `text` as one JSON object record; invalid JSON or a non-object becomes an error record at `location`. */
export function parseJsonRecord(text: string, location: string, unit: string): RawRecord {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        return {location, error: `invalid JSON (${oneLine(err)})`, unit};
    }
    const kind = jsonKind(value);
    if (kind !== "object")
        return {location, error: `expected a JSON object, found ${kind}`, unit};
    return {location, values: value as Record<string, unknown>};
}

/** "object", "array", "string", "number", "boolean" or "null". */
function jsonKind(value: unknown): string {
    if (value === null)
        return "null";
    if (Array.isArray(value))
        return "array";
    return typeof value;
}
