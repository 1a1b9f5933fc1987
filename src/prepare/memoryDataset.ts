import type {ColumnInfo, DatasetRecord} from "../datasets/Dataset.js";
import {inferColumns} from "../datasets/inferColumns.js";
import {inferenceSampleSize, type DatasetRowCount} from "../datasets/StreamingDataset.js";
import type {RecordList} from "../options/AnnotateOptions.js";
import {AirlabelError} from "../AirlabelError.js";
import {describeValue} from "../hooks/loadHooks.js";

/** The part of a dataset the prepare stage reads. */
export type PrepareSource = {
    /** Files read (empty: nothing to key a cache on). */
    files: string[];
    columns(): Promise<ColumnInfo[]>;
    rows(): AsyncIterable<DatasetRecord>;
    countRows(): Promise<DatasetRowCount>;
    /** rows() can be read again though no file backs it (records in memory). Defaults to false. */
    rereadable?: boolean;
};

/** A record list given as `records` (annotate's option) returned something that is not a row object. */
export class RecordListError extends AirlabelError {}

/**
 * Records given in memory (`records` of the prepare options: an array or a record list that makes each on demand) as
 * a dataset: every record valid, ordinal = position.
 */
export function memoryDataset(name: string, records: RecordList, location?: (ordinal: number) => string): PrepareSource {
    const locate = (ordinal: number) => location?.(ordinal) ?? `${name} record ${ordinal + 1}`;
    const values = function* (): Generator<Record<string, unknown>> {
        for (let ordinal = 0; ordinal < records.length; ordinal++) {
            const record = records.at(ordinal);
            if (typeof record !== "object" || record === null || Array.isArray(record))
                throw new RecordListError(`${locate(ordinal)}: the record list gave ${describeValue(record)}, not an object; check its at()`);
            yield record;
        }
    };
    return {
        files: [],
        rereadable: true,
        // from the first records, as for files (StreamingDataset): generate's list is not read an extra time
        columns: async () => inferColumns(take(values(), inferenceSampleSize)),
        rows: async function* () {
            let ordinal = 0;
            for (const record of values()) yield {ordinal, location: locate(ordinal++), values: record};
        },
        countRows: async () => ({rows: records.length, invalidRows: 0})
    };
}

function* take<T>(items: Iterable<T>, count: number): Generator<T> {
    if (count <= 0) return;
    let taken = 0;
    for (const item of items) {
        yield item;
        if (++taken >= count) return;
    }
}
