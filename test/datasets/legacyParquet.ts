import fs from "node:fs";
import {parquetMetadata} from "hyparquet";
import type {SchemaElement} from "hyparquet";
import {ByteWriter, parquetWriteBuffer} from "hyparquet-writer";
import type {ColumnSource} from "hyparquet-writer";
import {writeMetadata} from "hyparquet-writer/src/metadata.js";

/**
 * Writes a Parquet file whose footer declares `legacySchema`, with data pages written by hyparquet-writer for
 * `schema`, a layout with the same definition and repetition levels that the writer supports (it writes no
 * repeated leaf and no repeated group outside a LIST). `path` maps a column path of `schema` to `legacySchema`'s;
 * `numRows`, when given, replaces the footer's row count (to write a file that lies about it).
 */
export function writeLegacyParquet(
    file: string,
    options: {
        schema: SchemaElement[];
        columnData: ColumnSource[];
        legacySchema: SchemaElement[];
        path?: (columnPath: string[]) => string[];
        numRows?: bigint;
    }
): void {
    const written = new Uint8Array(parquetWriteBuffer({schema: options.schema, columnData: options.columnData, statistics: false}));
    fs.writeFileSync(
        file,
        rewriteFooter(written, (metadata) => {
            metadata.schema = options.legacySchema;
            for (const group of metadata.row_groups)
                for (const column of group.columns)
                    column.meta_data!.path_in_schema = options.path?.(column.meta_data!.path_in_schema) ?? column.meta_data!.path_in_schema;
            if (options.numRows !== undefined) metadata.num_rows = options.numRows;
        })
    );
}

/** The file with its footer decoded, changed by `change` and encoded again (the data pages are kept as they are). */
export function rewriteFooter(bytes: Uint8Array, change: (metadata: ReturnType<typeof parquetMetadata>) => void): Uint8Array {
    const footerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    change(metadata);
    const writer = new ByteWriter();
    writer.appendBytes(bytes.subarray(0, bytes.length - 8 - footerLength));
    const start = writer.offset;
    writeMetadata(writer, metadata);
    writer.appendUint32(writer.offset - start);
    writer.appendBytes(new TextEncoder().encode("PAR1"));
    return new Uint8Array(writer.getBuffer());
}
