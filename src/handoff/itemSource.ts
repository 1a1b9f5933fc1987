import type {HandoffRow, HandoffSource} from "./readHandoffSource.js";

/** A one-to-many run's source with one row per item, and what its input rows gave. */
export interface ItemSource {
    /**
     * One row per item of each answered input row, in idx then item order, its only response the item; numbered 0, 1,
     * ... in that order (these rows are counted, never matched with others by idx). The run's schema in `meta` is
     * that of one item (the list schema's `items`), or none.
     */
    source: HandoffSource;
    /** Input rows answered (an empty list included). */
    answeredRows: number;
    /** Input rows answered with an empty list: no output row. */
    emptyRows: number;
    /** Output rows: the items of every answer. */
    outputRows: number;
}

/** The items of a one-to-many single run's answers as rows of their own (what `airlabel stats` counts and tallies). */
export function itemSource(source: HandoffSource): ItemSource {
    const rows: HandoffRow[] = [];
    let answeredRows = 0;
    let emptyRows = 0;
    for (const row of source.rows) {
        for (const [id, response] of Object.entries(row.responses)) {
            if (!response.ok || !Array.isArray(response.annotation)) continue;
            answeredRows++;
            if (response.annotation.length === 0) emptyRows++;
            for (const item of response.annotation as unknown[])
                rows.push({idx: rows.length, columns: row.columns, responses: {[id]: {ok: true, annotation: item, reason: null}}});
        }
    }
    const {schema: _list, ...meta} = source.meta;
    const schema = itemSchemaOf(source.meta.schema);
    return {source: {...source, rows, meta: schema === undefined ? meta : {...meta, schema}}, answeredRows, emptyRows, outputRows: rows.length};
}

/** The schema of one item of a list schema (its `items`, when that is one schema), else undefined. */
export function itemSchemaOf(schema: unknown): Record<string, unknown> | boolean | undefined {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return undefined;
    const items = (schema as Record<string, unknown>).items;
    return typeof items === "boolean" || (typeof items === "object" && items !== null && !Array.isArray(items))
        ? (items as Record<string, unknown> | boolean)
        : undefined;
}
