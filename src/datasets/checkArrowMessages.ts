import type {Data, RecordBatchReader} from "apache-arrow";

type BatchHeader = {
    length: number;
    nodes: ReadonlyArray<{length: number; nullCount: number}>;
    buffers: ReadonlyArray<{offset: number; length: number}>;
};
type LoadVectors = (header: BatchHeader, body: Uint8Array, types: unknown[]) => Data[];

/**
 * Makes `reader` check each record batch header against its body as it loads it, before apache-arrow pads columns:
 * every buffer must lie inside the message body, every node declare a non-negative length and null count, and
 * every column hold the batch's declared length. apache-arrow clamps a buffer that points outside the body, and
 * fills a column shorter than the longest with nulls, so a damaged header would read as nulls without a word.
 * A header that fails throws, naming what it declares. (A reader whose internals differ is left unchecked.)
 */
export function checkArrowMessages(reader: RecordBatchReader): void {
    const impl = (reader as unknown as {_impl?: {_loadVectors?: LoadVectors}})._impl;
    const load = impl?._loadVectors;
    if (impl == null || typeof load !== "function") return;
    impl._loadVectors = function (header, body, types) {
        const problem = headerProblem(header, body);
        if (problem !== undefined) throw new Error(`a record batch header ${problem}`);
        const children = load.call(this, header, body, types);
        const short = children.findIndex((child) => child.length !== header.length);
        if (short >= 0) throw new Error(`a record batch header declares ${header.length} rows but column ${short + 1} ${children[short]!.length}`);
        return children;
    };
}

function headerProblem(header: BatchHeader, body: Uint8Array): string | undefined {
    if (!Number.isSafeInteger(header.length) || header.length < 0) return `declares ${header.length} rows`;
    for (const node of header.nodes) {
        if (
            !Number.isSafeInteger(node.length) ||
            node.length < 0 ||
            !Number.isSafeInteger(node.nullCount) ||
            node.nullCount < 0 ||
            node.nullCount > node.length
        )
            return `declares a column of ${node.length} values with ${node.nullCount} nulls`;
    }
    for (const buffer of header.buffers) {
        if (
            !Number.isSafeInteger(buffer.offset) ||
            !Number.isSafeInteger(buffer.length) ||
            buffer.offset < 0 ||
            buffer.length < 0 ||
            buffer.offset + buffer.length > body.byteLength
        )
            return `points a buffer at bytes ${buffer.offset}-${buffer.offset + buffer.length} of a ${body.byteLength}-byte body`;
    }
    return undefined;
}
