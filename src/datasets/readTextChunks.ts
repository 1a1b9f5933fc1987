import fs from "node:fs";
import {StringDecoder} from "node:string_decoder";
import type {DatasetInput} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {oneLine} from "../oneLine.js";

/**
 * Streams a file or stream as UTF-8 text chunks (multi-byte characters split across chunks are joined).
 * Bytes that are not UTF-8 stop the read with a `DatasetError` naming the line and byte offset: decoding them
 * with replacement characters would change the data without a word.
 */
export async function* readTextChunks(input: DatasetInput): AsyncGenerator<string> {
    const decoder = new StringDecoder("utf8");
    for await (const chunk of readUtf8Bytes(input)) {
        const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
        if (text.length > 0) yield text;
    }
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
}

/**
 * Streams the bytes of a file or stream unchanged, checked to be UTF-8 as they pass: the first invalid byte stops
 * the read with a `DatasetError` naming the line and byte offset (before the chunk that holds it is passed on).
 * For parsers that decode the bytes themselves (CSV/TSV).
 */
export async function* readUtf8Bytes(input: DatasetInput): AsyncGenerator<Buffer | string> {
    const stream = openByteStream(input);
    const check = new Utf8Check();
    let first = true;
    try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
            if (first && typeof chunk !== "string" && chunk.length > 0) {
                first = false;
                const kind = notText(chunk, input.name);
                if (kind !== undefined) throw new DatasetError(`${input.name}: ${kind}`);
            }
            if (typeof chunk !== "string") check.feed(input, chunk);
            yield chunk;
        }
        check.end(input);
    } catch (err) {
        throw readError(input, err);
    }
}

/**
 * What a file that is not UTF-8 text is, from its first bytes (compressed, or UTF-16), with what to do;
 * undefined for anything else (invalid bytes later are named by `Utf8Check`).
 */
export function notText(bytes: Uint8Array, name: string): string | undefined {
    const [b0, b1, b2, b3] = bytes;
    const out = `decompressed-${name.split("/").pop()}`;
    if (b0 === 0x1f && b1 === 0x8b) return `the file is gzip-compressed, not text; decompress it first (gzip -dc ${name} > ${out}) and read the result`;
    if (b0 === 0x28 && b1 === 0xb5 && b2 === 0x2f && b3 === 0xfd)
        return `the file is zstd-compressed, not text; decompress it first (zstd -dc ${name} > ${out}) and read the result`;
    if (b0 === 0x42 && b1 === 0x5a && b2 === 0x68)
        return `the file is bzip2-compressed, not text; decompress it first (bzip2 -dc ${name} > ${out}) and read the result`;
    if (b0 === 0xfd && b1 === 0x37 && b2 === 0x7a && b3 === 0x58)
        return `the file is xz-compressed, not text; decompress it first (xz -dc ${name} > ${out}) and read the result`;
    if (b0 === 0x50 && b1 === 0x4b && b2 === 0x03 && b3 === 0x04)
        return `the file is a zip archive, not text; extract it first (unzip ${name}) and read the file inside`;
    const utf16 = "convert it to UTF-8 first (for example iconv -f UTF-16 -t UTF-8)";
    if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff))
        return `the file is UTF-16 text (it starts with a UTF-16 ${b0 === 0xff ? "little" : "big"}-endian byte order mark), not UTF-8; ${utf16}`;
    if (bytes.length >= 4 && ((b0 !== 0 && b1 === 0 && b2 !== 0 && b3 === 0) || (b0 === 0 && b1 !== 0 && b2 === 0 && b3 !== 0)))
        return `the file looks like UTF-16 text (every other byte is 0), not UTF-8; ${utf16}`;
    return undefined;
}

/** Incremental UTF-8 validation that knows the line and byte offset of the first invalid byte. */
class Utf8Check {
    #offset = 0;
    #lines = 1;
    /** Continuation bytes still expected, and the bounds the next one must lie in. */
    #need = 0;
    #low = 0x80;
    #high = 0xbf;
    #start = 0;

    public feed(input: DatasetInput, bytes: Uint8Array): void {
        for (let i = 0; i < bytes.length; i++) {
            const byte = bytes[i]!;
            if (this.#need > 0) {
                if (byte < this.#low || byte > this.#high) this.#fail(input, this.#start);
                this.#low = 0x80;
                this.#high = 0xbf;
                this.#need--;
            } else if (byte === 0x0a) {
                this.#lines++;
            } else if (byte >= 0x80) {
                this.#start = this.#offset + i;
                if (byte >= 0xc2 && byte <= 0xdf) this.#need = 1;
                else if (byte >= 0xe0 && byte <= 0xef) {
                    this.#need = 2;
                    if (byte === 0xe0) this.#low = 0xa0;
                    if (byte === 0xed) this.#high = 0x9f;
                } else if (byte >= 0xf0 && byte <= 0xf4) {
                    this.#need = 3;
                    if (byte === 0xf0) this.#low = 0x90;
                    if (byte === 0xf4) this.#high = 0x8f;
                } else this.#fail(input, this.#start);
            }
        }
        this.#offset += bytes.length;
    }

    public end(input: DatasetInput): void {
        if (this.#need > 0) this.#fail(input, this.#start);
    }

    #fail(input: DatasetInput, at: number): never {
        throw new DatasetError(
            `${input.name} line ${this.#lines}: invalid UTF-8 at byte offset ${at}; convert the file to UTF-8 (for example iconv -f latin1 -t utf-8)`
        );
    }
}

/** The byte stream of an input: a file read stream, or the given stream. */
export function openByteStream(input: DatasetInput): NodeJS.ReadableStream {
    if (input.path != null) return fs.createReadStream(input.path, {highWaterMark: 1 << 16});
    if (input.stream == null) throw new DatasetError(`${input.name}: nothing to read`);
    return input.stream;
}

/** Wraps an I/O error while reading an input into a one-line `DatasetError`. */
export function readError(input: DatasetInput, err: unknown): Error {
    if (err instanceof DatasetError) return err;
    const code = (err as {code?: unknown})?.code;
    if (code === "ENOENT") return new DatasetError(`input file ${input.name} not found; check the path`, {cause: err});
    return new DatasetError(`${input.name}: cannot be read (${oneLine(err)}); check that it exists and is readable`, {cause: err});
}
