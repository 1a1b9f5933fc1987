import type {Manifest} from "./Manifest.js";

/** The columns a one-to-many run's readers add to each output row (after `idx`): the item's position in its input row's answer, and its id. */
export const ITEM_COLUMNS: readonly string[] = ["item", "row_id"];

/** Whether the run of this manifest is one-to-many (`oneToMany`): each committed data row's annotation is the list of its output rows. */
export function isOneToManyRun(manifest: Pick<Manifest, "meta">): boolean {
    return manifest.meta.oneToMany === true;
}

/** What `itemRows` made of a run's records: the output rows, and the input rows they came from. */
export interface ItemRows {
    /** One record per item (and one per failed record, as given), in the order of the records given. */
    rows: Record<string, unknown>[];
    /** Data records (input rows answered) read, those among them whose answer is an empty list included. */
    answeredRows: number;
    /** Data records whose answer is an empty list: they give no output row. */
    emptyRows: number;
}

/**
 * The output rows of a one-to-many run's data records, in their order: for each element of a record's `annotation`
 * (a JSON array), the record with `annotation` = that element, `item` = its 0-based position and `row_id` =
 * `"<idx>-<item>"`, which stays the same across resumes and re-exports (the shards commit an input row's items
 * together, and its idx is stable). Columns: `idx`, `item`, `row_id`, then the record's own (input columns,
 * `annotation`, ...). A record whose answer is an empty list gives no row. A record `failed` says is a failed row:
 * kept as one row, with `item` and `row_id` null. Throws a plain Error for a data record whose annotation is not a
 * list (airlabel never commits one in a one-to-many run).
 */
export function itemRows(records: readonly Record<string, unknown>[], failed: (record: Record<string, unknown>) => boolean = () => false): ItemRows {
    const rows: Record<string, unknown>[] = [];
    let answeredRows = 0;
    let emptyRows = 0;
    for (const record of records) {
        const {idx, ...rest} = record;
        if (failed(record)) {
            rows.push({idx, item: null, row_id: null, ...rest});
            continue;
        }
        const list = record.annotation;
        if (!Array.isArray(list))
            throw new Error(
                `idx ${String(idx)} of a one-to-many run has an annotation that is not a list (${typeof list}): its shards were changed outside airlabel; re-run it with --overwrite`
            );
        answeredRows++;
        if (list.length === 0) emptyRows++;
        list.forEach((element: unknown, item) => {
            rows.push({idx, item, row_id: `${String(idx)}-${item}`, ...rest, annotation: element});
        });
    }
    return {rows, answeredRows, emptyRows};
}
