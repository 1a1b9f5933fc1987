import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {parseJsonRecord} from "./readJsonLines.js";
import {maxRecordBytes, recordTooLong} from "./maxRecordBytes.js";
import {readTextChunks} from "./readTextChunks.js";

enum State {
    Start,
    BeforeElement,
    InElement,
    AfterArray
}

/**
 * Streams a JSON file holding a top-level array of objects, one element at a time, without parsing
 * the whole file. Locations are `name element N (line L)`, N being the 0-based index in the array.
 * An element that is not valid JSON or not an object becomes an error record; a file that is not
 * an array, or is truncated, throws `DatasetError`. An element longer than `maxBytes` is an error record (its text is not kept).
 */
export async function* readJsonArray(input: DatasetInput, maxBytes = maxRecordBytes()): AsyncGenerator<RawRecord> {
    const name = input.name;
    let state = State.Start as State;
    let line = 1;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let parts: string[] = [];
    let elementIndex = 0;
    let elementLine = 1;
    /** Bytes of the current element held in `parts`; -1 once it is longer than `maxBytes` (and no longer kept). */
    let elementBytes = 0;

    const keep = (text: string): void => {
        if (elementBytes < 0) return;
        elementBytes += Buffer.byteLength(text);
        if (elementBytes > maxBytes) {
            elementBytes = -1;
            parts = [];
        } else parts.push(text);
    };
    const finishElement = (last: string): RawRecord => {
        keep(last);
        const location = `${name} element ${elementIndex} (line ${elementLine})`;
        elementIndex++;
        if (elementBytes < 0) return {location, error: `the element is ${recordTooLong(maxBytes)}`, unit: "element"};
        return parseJsonRecord(parts.join(""), location, "element");
    };

    for await (const chunk of readTextChunks(input)) {
        let segmentStart = state === State.InElement ? 0 : -1;

        for (let i = 0; i < chunk.length; i++) {
            const code = chunk.charCodeAt(i);
            if (code === 10) line++;

            switch (state) {
                case State.Start:
                    if (isWhitespace(code) || code === 0xfeff) break;
                    if (code !== 91 /* [ */) throw notAnArray(name, chunk.charAt(i), line);
                    state = State.BeforeElement;
                    break;

                case State.BeforeElement:
                    if (isWhitespace(code)) break;
                    if (code === 93 /* ] */) {
                        state = State.AfterArray;
                        break;
                    }
                    state = State.InElement;
                    depth = 0;
                    inString = false;
                    escaped = false;
                    parts = [];
                    elementBytes = 0;
                    segmentStart = i;
                    elementLine = line;
                    i--; // look at this (non-whitespace) character again as part of the element
                    break;

                case State.InElement:
                    if (inString) {
                        if (escaped) escaped = false;
                        else if (code === 92 /* \ */) escaped = true;
                        else if (code === 34 /* " */) inString = false;
                        break;
                    }
                    if (code === 34) inString = true;
                    else if (code === 123 /* { */ || code === 91 /* [ */) depth++;
                    else if (code === 125 /* } */ || code === 93 /* ] */) {
                        if (depth > 0) depth--;
                        else if (code === 93) {
                            yield finishElement(chunk.slice(segmentStart, i));
                            state = State.AfterArray;
                        }
                    } else if (code === 44 /* , */ && depth === 0) {
                        yield finishElement(chunk.slice(segmentStart, i));
                        state = State.BeforeElement;
                    }
                    break;

                case State.AfterArray:
                    if (!isWhitespace(code))
                        throw new DatasetError(
                            `${name} line ${line}: unexpected content after the top-level JSON array; a .json file must hold one array of objects`
                        );
                    break;
            }
        }

        if (state === State.InElement) keep(chunk.slice(Math.max(segmentStart, 0)));
    }

    if (state === State.Start) throw new DatasetError(`${name}: the file is empty; expected a JSON array of objects`);
    if (state !== State.AfterArray)
        throw new DatasetError(`${name}: unexpected end of file inside the top-level JSON array; the file is truncated or malformed`);
}

function isWhitespace(code: number): boolean {
    return code === 32 || code === 10 || code === 13 || code === 9;
}

function notAnArray(name: string, found: string, line: number): DatasetError {
    return new DatasetError(
        `${name} line ${line}: expected a JSON array of objects at the top level, found ${JSON.stringify(found)}; ` +
            "for one JSON object per line use a .jsonl file"
    );
}
