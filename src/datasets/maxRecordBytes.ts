import {InvalidOptionError} from "../AirlabelError.js";

/** The default longest record (a JSONL line, a JSON array element, a CSV row) airlabel reads: 64 MiB. */
export const defaultMaxRecordBytes = 64 * 1024 * 1024;

/**
 * The longest record airlabel reads, in bytes of UTF-8: `AIRLABEL_MAX_LINE_BYTES` when set, else 64 MiB.
 * A longer record is an invalid row (named by its line; sent to errors/ under --skip-invalid-rows).
 */
export function maxRecordBytes(env: NodeJS.ProcessEnv = process.env): number {
    const text = env.AIRLABEL_MAX_LINE_BYTES;
    if (text === undefined || text === "") return defaultMaxRecordBytes;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0)
        throw new InvalidOptionError(`AIRLABEL_MAX_LINE_BYTES must be a positive integer number of bytes (got "${text}")`);
    return value;
}

/** The error of a record longer than `limit` bytes. */
export function recordTooLong(limit: number): string {
    return `longer than ${limit} bytes, the most airlabel reads in one record; shorten it or raise AIRLABEL_MAX_LINE_BYTES`;
}
