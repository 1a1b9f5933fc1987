import type {ColumnInfo, DatasetRecord} from "../datasets/Dataset.js";
import {inferColumns} from "../datasets/inferColumns.js";
import type {DatasetRowCount} from "../datasets/StreamingDataset.js";

/** The part of a dataset the prepare stage reads. */
export type PrepareSource = {
    /** Files read (empty: nothing to key a cache on). */
    files: string[],
    columns(): Promise<ColumnInfo[]>,
    rows(): AsyncIterable<DatasetRecord>,
    countRows(): Promise<DatasetRowCount>
};

/** Records given in memory (`records` of the prepare options) as a dataset: every record valid, ordinal = position. */
export function memoryDataset(name: string, records: Record<string, unknown>[], location?: (ordinal: number) => string): PrepareSource {
    return {
        files: [],
        columns: async () => inferColumns(records),
        rows: async function* () {
            for (let ordinal = 0; ordinal < records.length; ordinal++)
                yield {ordinal, location: location?.(ordinal) ?? `${name} record ${ordinal + 1}`, values: records[ordinal]!};
        },
        countRows: async () => ({rows: records.length, invalidRows: 0})
    };
}
