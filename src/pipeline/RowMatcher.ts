import type {RowKey} from "../output/OutputRow.js";
import type {CommittedRows} from "../output/OutputStore.js";

/** How the input compares with what the run in the output dir answered: rows changed since, rows no longer there. */
export type InputChanges = {
    /** What rows are matched by: "content" (each record's sha256 and occurrence), "id:<column>" (--id-column), or "idx" (an idx column, or a run an older airlabel wrote: rows by position, checked as a prefix). */
    keyedBy: string;
    /** Rows no committed row matched: new in the input, or not reached by an earlier run. */
    newRows: number;
    /** Rows whose content changed since they were answered (only with an id column). */
    changed: number;
    /** What was done with them: answered again, or their earlier answer kept (--changed-rows). */
    changedRows: "regenerate" | "keep";
    /** Rows the run answered (or failed) that are no longer in the input: their rows stay in the output. */
    removed: number;
    /** The idx of the first changed and removed rows (at most 20 each). */
    changedIdx: number[];
    removedIdx: number[];
};

/** Where a prepared row goes: its idx in the run, whether to generate it now, and the key the store records for it. */
export type RowPlace = {idx: number; take: boolean; committed: boolean; rowKey?: RowKey};

const LISTED = 20;

/**
 * Matches the prepared rows (idx = position in the input, a key, the record's hash) with the committed ones. Keyed: a
 * row whose key was answered keeps that row's idx (wherever it moved) and is generated again only when its content
 * changed and `changedRows` is "regenerate"; a new row takes its position as idx when no committed row holds it, else
 * its position past every committed row and position (deterministic, whatever the generation order). Unkeyed: idx is the position. `retry` takes exactly the rows
 * whose latest committed row is an error row.
 */
export class RowMatcher {
    readonly #committed: CommittedRows;
    readonly #keys: Map<string, {idx: number; content: string}> | null;
    readonly #retry: boolean;
    readonly #changedRows: "regenerate" | "keep";
    readonly #keyedBy: string;
    /** A new row whose position a committed row holds takes this plus its position: the same idx whatever order rows are generated in (a comparison's models agree). */
    readonly #base: number;
    #changed = 0;
    #new = 0;
    readonly #changedIdx: number[] = [];

    public constructor(committed: CommittedRows, options: {keySource: string | null; totalRows: number; retry: boolean; changedRows: "regenerate" | "keep"}) {
        this.#committed = committed;
        // the committed keys, taken out as their rows are found: what is left at the end was removed from the input
        this.#keys = options.keySource !== null && committed.keys !== null ? new Map(committed.keys) : null;
        this.#keyedBy = this.#keys !== null ? options.keySource! : "idx";
        this.#retry = options.retry;
        this.#changedRows = options.changedRows;
        let max = options.totalRows - 1;
        for (const idx of committed.all) if (idx > max) max = idx;
        this.#base = max + 1;
    }

    /** Whether rows are matched by key (else by position). */
    public get keyed(): boolean {
        return this.#keys !== null;
    }

    /** Where the prepared row (or failure) at input position `position` goes. */
    public place(position: number, key: string, inputHash: string | undefined): RowPlace {
        const {all, failed} = this.#committed;
        if (this.#keys === null) {
            const committed = all.has(position);
            if (!committed) this.#new++;
            return {idx: position, take: this.#retry ? failed.has(position) : !committed, committed};
        }
        const rowKey = {key, content: (inputHash ?? "").slice(0, 16)};
        const match = this.#keys.get(key);
        if (match === undefined) {
            const idx = all.has(position) ? this.#base + position : position;
            this.#new++;
            return {idx, take: !this.#retry, committed: false, rowKey};
        }
        this.#keys.delete(key);
        if (match.content !== rowKey.content) {
            this.#changed++;
            if (this.#changedIdx.length < LISTED) this.#changedIdx.push(match.idx);
            if (this.#changedRows === "regenerate" && !this.#retry) return {idx: match.idx, take: true, committed: true, rowKey};
        }
        return {idx: match.idx, take: this.#retry && failed.has(match.idx), committed: true, rowKey};
    }

    /** What the pass over every prepared row found (call it after the last `place`). */
    public changes(): InputChanges {
        const removedIdx: number[] = [];
        for (const {idx} of this.#keys?.values() ?? []) removedIdx.push(idx);
        removedIdx.sort((a, b) => a - b);
        return {
            keyedBy: this.#keyedBy,
            newRows: this.#new,
            changed: this.#changed,
            changedRows: this.#changedRows,
            removed: removedIdx.length,
            changedIdx: [...this.#changedIdx].sort((a, b) => a - b),
            removedIdx: removedIdx.slice(0, LISTED)
        };
    }
}
