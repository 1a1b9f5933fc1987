import fs from "node:fs";
import {RecordBatchReader} from "apache-arrow";
import type {RecordBatch, Schema} from "apache-arrow";
import type {ColumnInfo} from "./Dataset.js";
import type {DatasetInput, RawRecord} from "./DatasetInput.js";
import {DatasetError} from "./DatasetError.js";
import {arrowToPlain, arrowTypeName} from "./arrowToPlain.js";
import {checkArrowData} from "./checkArrowData.js";
import {checkArrowMessages} from "./checkArrowMessages.js";
import {oneLine} from "../oneLine.js";
import {openByteStream, readError} from "./readTextChunks.js";

type ArrowReader = RecordBatchReader & AsyncIterable<RecordBatch>;

/**
 * Streams the record batches of an Arrow IPC input, file or stream format (told apart by the
 * `ARROW1` magic), one batch at a time. A file is read with random access; a stream (stdin) as it comes
 * (an IPC *file* on stdin is buffered, since its index is at the end).
 * Each batch's buffers are checked against what its header declares (`checkArrowData`): a damaged file is
 * refused, naming the batch and column, instead of being read as nulls or shifted text.
 */
async function* readArrowBatches(input: DatasetInput): AsyncGenerator<RecordBatch> {
    const {reader, close} = await openArrowReader(input);
    try {
        const iterator = reader[Symbol.asyncIterator]();
        let rowStart = 0;
        for (let index = 0; ; index++) {
            let next: IteratorResult<RecordBatch>;
            try {
                next = await iterator.next();
            } catch (err) {
                throw invalidArrow(input, err);
            }
            if (next.done === true) break;
            checkBatch(input, next.value, index, rowStart);
            rowStart += next.value.numRows;
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
        const columns = fields.map((_field, index) => batch.getChildAt(index));
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
    for await (const batch of readArrowBatches(input)) rows += batch.numRows;
    return rows;
}

function checkBatch(input: DatasetInput, batch: RecordBatch, index: number, rowStart: number): void {
    const fields = batch.schema.fields;
    const columns = batch.data.children;
    let problem = columns.length === fields.length ? undefined : `${columns.length} columns, not the ${fields.length} of the schema`;
    for (let c = 0; problem === undefined && c < columns.length; c++) {
        const found = checkArrowData(columns[c]!, batch.numRows);
        if (found !== undefined) problem = `column "${fields[c]?.name}": ${found}`;
    }
    if (problem !== undefined)
        throw new DatasetError(
            `${input.name}: record batch ${index} (rows ${rowStart}-${rowStart + batch.numRows - 1}) is damaged, ${problem}; ` +
                "the Arrow file is corrupt or truncated, write it again"
        );
}

function arrowSchemaColumns(schema: Schema | null | undefined): ColumnInfo[] {
    return (schema?.fields ?? []).map((field) => ({name: field.name, type: arrowTypeName(field.type)}));
}

async function openArrowReader(input: DatasetInput): Promise<{reader: ArrowReader; close(): Promise<void>}> {
    let handle: fs.promises.FileHandle | undefined;
    let closed = false;
    const close = async () => {
        if (closed) return;
        closed = true;
        await handle?.close().catch(() => undefined);
    };

    try {
        if (input.path != null) handle = await fs.promises.open(input.path, "r");
    } catch (err) {
        throw readError(input, err);
    }

    try {
        const source = handle == null ? openByteStream(input) : boundedHandle(handle);
        const reader = await RecordBatchReader.from(source as fs.promises.FileHandle);
        checkArrowMessages(reader);
        await reader.open({autoDestroy: false});
        if (reader.schema == null) throw new Error("no schema message (the input is empty)");
        if (reader.schema.fields.length === 0) throw new Error("its schema has no columns (a damaged schema or an empty table)");
        if (handle != null) await checkEmptyFooter(handle, reader);
        return {reader: reader as ArrowReader, close};
    } catch (err) {
        await close();
        throw invalidArrow(input, err);
    }
}

/**
 * A file whose footer lists no record batches must hold no more than its schema between the magic and the footer:
 * a damaged footer would otherwise read as an empty dataset.
 */
async function checkEmptyFooter(handle: fs.promises.FileHandle, reader: RecordBatchReader): Promise<void> {
    const footer = reader.footer;
    if (!reader.isFile() || footer == null || footer.numRecordBatches > 0) return;
    const {size} = await handle.stat();
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, size - 10);
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 8);
    const schemaLength = head.readInt32LE(0) === -1 ? 8 + head.readInt32LE(4) : 4 + head.readInt32LE(0);
    const data = size - 8 - 10 - tail.readInt32LE(0);
    if (data > schemaLength + 16) throw new Error(`its footer lists no record batches, yet it holds ${data - schemaLength} bytes after its schema`);
}

/**
 * The file handle as apache-arrow reads it, with two guards against headers a damaged file holds: a read that gets
 * no bytes throws (apache-arrow retries it forever), and so does reading more than three times the file's size
 * (apache-arrow can go round reading the same message again and again).
 */
function boundedHandle(handle: fs.promises.FileHandle): fs.promises.FileHandle {
    let budget: number | undefined;
    const read = async (buffer: Uint8Array, offset: number, length: number, position: number) => {
        budget ??= 3 * (await handle.stat()).size + (1 << 16);
        const result = await handle.read(buffer, offset, length, position);
        budget -= result.bytesRead;
        if (result.bytesRead === 0 && length > 0) throw new Error(`a header points past the end of the file (a read of ${length} bytes at byte ${position})`);
        if (budget < 0) throw new Error("its headers send the reader round in a loop (it read the file three times over)");
        return result;
    };
    return {fd: handle.fd, read, stat: () => handle.stat(), close: () => handle.close()} as unknown as fs.promises.FileHandle;
}

function invalidArrow(input: DatasetInput, err: unknown): DatasetError {
    if (err instanceof DatasetError) return err;
    return new DatasetError(
        `${input.name}: cannot read Arrow IPC (${oneLine(err)}); check that it is a whole Arrow IPC file or stream (Feather v2), and write it again if it is damaged`,
        {cause: err}
    );
}
