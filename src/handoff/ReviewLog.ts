import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {fsyncDir} from "../files/durableFs.js";
import {canonicalJson} from "../canonicalJson.js";
import {displayDir} from "../output/Manifest.js";
import type {HandoffRow} from "./readHandoffSource.js";

/** What an annotator did with a row in `airlabel review`. */
export type ReviewAction = "accept" | "correct" | "reject" | "skip";

export const REVIEW_ACTIONS: readonly ReviewAction[] = ["accept", "correct", "reject", "skip"];

/** One review, as the log stores it (one JSON line). */
export interface ReviewEntry {
    /** Position in the log, from 1. */
    seq: number;
    /** ISO time the server accepted it. */
    at: string;
    annotator: string;
    idx: number;
    action: ReviewAction;
    /** The answer the annotator accepted or corrected (the whole answer object); null for reject and skip. */
    value: unknown;
    /** The model whose answer was accepted (accept), or that the correction started from. */
    model: string | null;
    /** A rating per model answer (model id -> 1..5). */
    ratings: Record<string, number>;
    /** The model whose answer the annotator found better, when several answered; null when none was chosen. */
    better: string | null;
    comment: string;
    /**
     * What the annotator saw (see reviewedRowHash): a later run that changed the row (its input, an answer) makes
     * the review stale, and the row is reviewed again. Absent: taken as current.
     */
    seen?: string;
}

/** The review log cannot be read or written. */
export class ReviewLogError extends AirlabelError {}

/** Where `airlabel review` keeps its reviews in an output dir. */
export const REVIEW_LOG_FILE = path.join("review", "log.jsonl");

/**
 * The reviews of `airlabel review`: an append-only JSON-lines file in the output dir, each review written and
 * fsynced before the server answers (a review the annotator saw accepted survives kill -9 and a power cut), readable
 * by any process while the server runs. A line cut short by a crash (the only damage an append can leave) is
 * dropped when the log is opened for writing, and ignored by readers.
 */
export class ReviewLog {
    readonly #file: string;
    readonly #handle: fs.FileHandle;
    readonly #entries: ReviewEntry[];
    #queue: Promise<unknown> = Promise.resolve();

    private constructor(file: string, handle: fs.FileHandle, entries: ReviewEntry[]) {
        this.#file = file;
        this.#handle = handle;
        this.#entries = entries;
    }

    /** Opens (creating) the log of the output dir `dir` for appending. Throws `ReviewLogError`. */
    public static async open(dir: string): Promise<ReviewLog> {
        const file = path.join(dir, REVIEW_LOG_FILE);
        try {
            await fs.mkdir(path.dirname(file), {recursive: true});
            const {entries, validBytes, totalBytes} = await readLogFile(file);
            if (validBytes < totalBytes) await fs.truncate(file, validBytes);
            const handle = await fs.open(file, "a");
            await fsyncDir(path.dirname(file));
            return new ReviewLog(file, handle, entries);
        } catch (error) {
            if (error instanceof ReviewLogError) throw error;
            throw new ReviewLogError(`cannot open ${displayDir(dir)}${REVIEW_LOG_FILE} (${(error as Error).message.split("\n")[0]}); check the output dir`, {
                cause: error
            });
        }
    }

    /** Every review so far, in order. */
    public get entries(): readonly ReviewEntry[] {
        return this.#entries;
    }

    /** Appends a review and fsyncs it; resolves with it (numbered) once it is on disk. */
    public append(review: Omit<ReviewEntry, "seq" | "at">): Promise<ReviewEntry> {
        const run = this.#queue.then(async () => {
            const entry: ReviewEntry = {seq: this.#entries.length + 1, at: new Date().toISOString(), ...review};
            await this.#handle.write(`${JSON.stringify(entry)}\n`);
            await this.#handle.datasync();
            this.#entries.push(entry);
            return entry;
        });
        this.#queue = run.catch(() => undefined);
        return run;
    }

    public async close(): Promise<void> {
        await this.#queue;
        await this.#handle.close();
    }

    public get file(): string {
        return this.#file;
    }
}

/** The reviews in the log of output dir `dir` (none when there is no log), without opening it for writing. */
export async function readReviewLog(dir: string): Promise<ReviewEntry[]> {
    return (await readLogFile(path.join(dir, REVIEW_LOG_FILE))).entries;
}

/**
 * Each annotator's latest review of each row (a later review of the same row replaces an earlier one), in log order.
 * With `rows`, reviews of rows the run no longer has, or that changed since they were reviewed (a re-run answered a
 * changed row again), are left out.
 */
export function latestReviews(entries: readonly ReviewEntry[], rows?: readonly HandoffRow[]): ReviewEntry[] {
    const latest = new Map<string, ReviewEntry>();
    for (const entry of entries) latest.set(`${entry.annotator}\u0000${entry.idx}`, entry);
    const current = rows === undefined ? null : new Map(rows.map((row) => [row.idx, reviewedRowHash(row)]));
    return [...latest.values()]
        .filter((entry) => current === null || (current.has(entry.idx) && (entry.seen === undefined || entry.seen === current.get(entry.idx))))
        .sort((a, b) => a.seq - b.seq);
}

/** A row as a reviewer sees it, hashed (16 hex digits): its input columns and every model's answer or failure. */
export function reviewedRowHash(row: HandoffRow): string {
    const responses = Object.fromEntries(Object.entries(row.responses).map(([model, response]) => [model, {ok: response.ok, annotation: response.annotation}]));
    return crypto
        .createHash("sha256")
        .update(canonicalJson({columns: row.columns, responses}))
        .digest("hex")
        .slice(0, 16);
}

async function readLogFile(file: string): Promise<{entries: ReviewEntry[]; validBytes: number; totalBytes: number}> {
    let bytes: Buffer;
    try {
        bytes = await fs.readFile(file);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return {entries: [], validBytes: 0, totalBytes: 0};
        throw error;
    }
    const entries: ReviewEntry[] = [];
    let start = 0;
    let line = 0;
    while (start < bytes.length) {
        const end = bytes.indexOf(0x0a, start);
        // no newline: the tail of an append a crash cut short
        if (end < 0) break;
        line++;
        try {
            entries.push(JSON.parse(bytes.subarray(start, end).toString("utf8")) as ReviewEntry);
        } catch (error) {
            throw new ReviewLogError(`${file} line ${line} is not a review (${(error as Error).message}); restore the file or move it aside`, {cause: error});
        }
        start = end + 1;
    }
    return {entries, validBytes: start, totalBytes: bytes.length};
}
