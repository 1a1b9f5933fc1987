import fs from "node:fs";
import {StringDecoder} from "node:string_decoder";
import type {DatasetInput} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";

/** Streams a file or stream as UTF-8 text chunks (multi-byte characters split across chunks are joined). */
export async function* readTextChunks(input: DatasetInput): AsyncGenerator<string> {
    const stream = openByteStream(input);
    const decoder = new StringDecoder("utf8");
    try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
            const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
            if (text.length > 0)
                yield text;
        }
    } catch (err) {
        throw readError(input, err);
    }
    const rest = decoder.end();
    if (rest.length > 0)
        yield rest;
}

/** The byte stream of an input: a file read stream, or the given stream. */
export function openByteStream(input: DatasetInput): NodeJS.ReadableStream {
    if (input.path != null)
        return fs.createReadStream(input.path, {highWaterMark: 1 << 16});
    if (input.stream == null)
        throw new DatasetError(`${input.name}: nothing to read`);
    return input.stream;
}

/** Wraps an I/O error while reading an input into a one-line `DatasetError`. */
export function readError(input: DatasetInput, err: unknown): Error {
    if (err instanceof DatasetError)
        return err;
    const code = (err as {code?: unknown})?.code;
    if (code === "ENOENT")
        return new DatasetError(`input file ${input.name} not found; check the path`, {cause: err});
    return new DatasetError(`${input.name}: cannot be read (${oneLine(err)}); check that it exists and is readable`, {cause: err});
}

/** The message of an error, on one line. */
export function oneLine(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return message.replace(/\s*\r?\n\s*/g, " ").trim();
}
