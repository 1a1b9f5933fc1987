import crypto from "node:crypto";
import {stringifyJson} from "../json/stringifyJson.js";
import {PrepareError} from "./PrepareError.js";

const sha16 = (text: string): string => crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);

/**
 * Each row's key, by which a re-run finds the rows an earlier run answered wherever they moved in the input: the
 * value of the input's own id column (`idColumn`), or else the row's content (the sha256 of its record) with its
 * occurrence number among identical records, in input order. A row that cannot be read is keyed by its position.
 * Keys are 16 hex digits.
 */
export class RowKeys {
    readonly #idColumn: string | undefined;
    /** Content keys: how often each record (by the first 52 bits of its hash) was seen so far. */
    readonly #occurrences = new Map<number, number>();
    /** Id keys: the ordinal of the row that holds each id. */
    readonly #ids = new Map<string, {ordinal: number; location: string}>();

    public constructor(idColumn: string | undefined) {
        this.#idColumn = idColumn;
    }

    /** What the keys are made from, as the manifest records it: "content" or "id:<column>". */
    public get source(): string {
        return this.#idColumn === undefined ? "content" : `id:${this.#idColumn}`;
    }

    /** The key of a readable record; throws `PrepareError` for a missing, empty or repeated id. */
    public of(values: Record<string, unknown>, recordHash: string, ordinal: number, location: string): string {
        if (this.#idColumn === undefined) {
            // 52 bits index the counts in little memory; a collision only numbers two different records' occurrences together
            const bucket = Number.parseInt(recordHash.slice(0, 13), 16);
            const occurrence = this.#occurrences.get(bucket) ?? 0;
            this.#occurrences.set(bucket, occurrence + 1);
            return sha16(`content\u0000${recordHash}\u0000${occurrence}`);
        }
        const column = this.#idColumn;
        const value = values[column];
        const usable =
            (typeof value === "string" && value.trim() !== "") || typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value));
        if (!usable)
            throw new PrepareError(
                `${location}: column "${column}" (--id-column) holds ${value === undefined ? "nothing" : stringifyJson(value)}, not an id; give every row a non-empty string or integer id there`
            );
        const key = sha16(`id\u0000${stringifyJson(value)}`);
        const first = this.#ids.get(key);
        if (first !== undefined && first.ordinal !== ordinal)
            throw new PrepareError(
                `${location}: id ${stringifyJson(value)} (column "${column}", --id-column) is also the id of ${first.location}; each row needs its own id`
            );
        this.#ids.set(key, {ordinal, location});
        return key;
    }

    /** The key of a record that could not be read (no content, no id): its position in the input. */
    public ofUnreadable(ordinal: number): string {
        return sha16(`position\u0000${ordinal}`);
    }
}
