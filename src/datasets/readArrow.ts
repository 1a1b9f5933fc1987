import fs from "node:fs";
import {RecordBatchReader} from "apache-arrow";
import type {RecordBatch, Schema} from "apache-arrow";
import type {ColumnInfo} from "./Dataset.js";
import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {arrowToPlain, arrowTypeName} from "./arrowToPlain.js";
import {oneLine} from "../oneLine.js";
import {openByteStream, readError} from "./readTextChunks.js";

type ArrowReader = RecordBatchReader & AsyncIterable<RecordBatch>;

/**
 * Streams the record batches of an Arrow IPC input, file or stream format (told apart by the
 * `ARROW1` magic), one batch at a time. A file is read with random access; a stream (stdin) as it comes
 * (an IPC *file* on stdin is buffered, since its index is at the end).
 */
async function* readArrowBatches(input: DatasetInput): AsyncGenerator<RecordBatch> {
    const {reader, close} = await openArrowReader(input);
    try {
        const iterator = reader[Symbol.asyncIterator]();
        while (true) {
            let next: IteratorResult<RecordBatch>;
            try {
                next = await iterator.next();
            } catch (err) {
                throw invalidArrow(input, err);
            }
            if (next.done === true)
                break;
            yield next.value;
        }
    } finally {
        await close();
    }
}

/** Streams the rows of an Arrow IPC input. Locations are `name row N` (0-based within the file). */
export async function* readArrow(input: DatasetInput): AsyncGenerator<RawRecord> {
    let rowIndex = 0;
    for await (const batch of readArrowBatches(input)) {
        const fields = batch.schema.fields;
        const columns = fields.map((field, index) => batch.getChildAt(index));
        for (let i = 0; i < batch.numRows; i++) {
            const values: Record<string, unknown> = {};
            for (let c = 0; c < fields.length; c++) {
                const field = fields[c]!;
                values[field.name] = arrowToPlain(columns[c]?.get(i), field.type);
            }
            yield {location: `${input.name} row ${rowIndex}`, values};
            rowIndex++;
        }
    }
}

/** The columns of an Arrow IPC input, from its schema (reads only the schema message). */
export async function readArrowColumns(input: DatasetInput): Promise<ColumnInfo[]> {
    const {reader, close} = await openArrowReader(input);
    try {
        return arrowSchemaColumns(reader.schema);
    } finally {
        await close();
    }
}

/** The number of rows of an Arrow IPC input, summed over its record batches (each batch is read). */
export async function countArrowRows(input: DatasetInput): Promise<number> {
    let rows = 0;
    for await (const batch of readArrowBatches(input))
        rows += batch.numRows;
    return rows;
}

function arrowSchemaColumns(schema: Schema | null | undefined): ColumnInfo[] {
    return (schema?.fields ?? []).map((field) => ({name: field.name, type: arrowTypeName(field.type)}));
}

async function openArrowReader(input: DatasetInput): Promise<{reader: ArrowReader, close(): Promise<void>}> {
    let handle: fs.promises.FileHandle | undefined;
    let closed = false;
    const close = async () => {
        if (closed)
            return;
        closed = true;
        await handle?.close().catch(() => undefined);
    };

    try {
        if (input.path != null)
            handle = await fs.promises.open(input.path, "r");
    } catch (err) {
        throw readError(input, err);
    }

    try {
        const source = handle ?? openByteStream(input);
        const reader = await RecordBatchReader.from(source as fs.promises.FileHandle);
        await reader.open({autoDestroy: false});
        if (reader.schema == null)
            throw new Error("no schema message (the input is empty)");
        return {reader: reader as ArrowReader, close};
    } catch (err) {
        await close();
        throw invalidArrow(input, err);
    }
}

function invalidArrow(input: DatasetInput, err: unknown): DatasetError {
    if (err instanceof DatasetError)
        return err;
    return new DatasetError(
        `${input.name}: cannot read Arrow IPC (${oneLine(err)}); check that it is an Arrow IPC file or stream (Feather v2)`,
        {cause: err}
    );
}
