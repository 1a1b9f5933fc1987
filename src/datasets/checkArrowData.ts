import {isUtf8} from "node:buffer";
import {Type} from "apache-arrow";
import type {Data, DataType, FixedSizeList} from "apache-arrow";

/**
 * What is wrong with one column of an Arrow record batch, or undefined when its buffers hold what its header
 * declares. apache-arrow trusts the header: a buffer that the file does not hold is read as a shorter (or empty)
 * one, so a damaged file would read as nulls, empty strings or another row's text. Checked: the declared length
 * and null count (against the validity bitmap), offsets (in order, inside the data or child), fixed-width data long
 * enough, children of structs and lists, dictionary indices inside the dictionary, strings valid UTF-8.
 */
export function checkArrowData(data: Data, length: number): string | undefined {
    if (data.length !== length) return `length ${data.length}, not ${length}`;
    const end = data.offset + data.length;
    const declaredNulls = (data as unknown as {_nullCount: number})._nullCount;
    if (declaredNulls < 0 || declaredNulls > data.length) return `null count ${declaredNulls} of ${data.length} values`;
    if (declaredNulls > 0 && data.type.typeId !== Type.Null) {
        const bitmap = data.nullBitmap;
        if (bitmap == null || bitmap.length < Math.ceil(end / 8)) return `validity bitmap of ${bitmap?.length ?? 0} bytes for ${data.length} values`;
        const valid = countBits(bitmap, data.offset, end);
        if (data.length - valid !== declaredNulls) return `${data.length - valid} nulls in the validity bitmap, not the ${declaredNulls} declared`;
    }
    return checkBuffers(data, end);
}

function checkBuffers(data: Data, end: number): string | undefined {
    const type: DataType = data.type;
    switch (type.typeId) {
        case Type.Null:
            return undefined;
        case Type.Utf8:
        case Type.LargeUtf8:
            return checkOffsets(data, end, data.values?.length ?? 0) ?? checkUtf8(data, end);
        case Type.Binary:
        case Type.LargeBinary:
            return checkOffsets(data, end, data.values?.length ?? 0);
        case Type.List:
        case Type.LargeList:
        case Type.Map: {
            const child = data.children[0];
            if (child == null) return "a list without its values";
            const problem = checkOffsets(data, end, child.length);
            return problem ?? inChild(child, child.length);
        }
        case Type.FixedSizeList: {
            const child = data.children[0];
            const needed = end * (type as FixedSizeList).listSize;
            if (child == null || child.length < needed) return `list values of ${child?.length ?? 0} items, not ${needed}`;
            return inChild(child, child.length);
        }
        case Type.Struct:
            for (const child of data.children) {
                if (child.length < end) return `struct field of ${child.length} values, not ${end}`;
                const problem = inChild(child, child.length);
                if (problem !== undefined) return problem;
            }
            return undefined;
        case Type.Bool:
            return (data.values?.length ?? 0) < Math.ceil(end / 8) ? `data of ${data.values?.length ?? 0} bytes for ${data.length} booleans` : undefined;
        case Type.Dictionary:
            return checkFixedWidth(data, end) ?? checkDictionary(data, end);
        case Type.Union:
        case Type.Utf8View:
        case Type.BinaryView:
            return undefined;
        default:
            return checkFixedWidth(data, end);
    }
}

function inChild(child: Data, length: number): string | undefined {
    const problem = checkArrowData(child, length);
    return problem === undefined ? undefined : `in its values: ${problem}`;
}

function checkFixedWidth(data: Data, end: number): string | undefined {
    const have = data.values?.length ?? 0;
    const needed = end * data.stride;
    return have < needed ? `data of ${have} items for ${data.length} values (${needed} needed)` : undefined;
}

function checkOffsets(data: Data, end: number, limit: number): string | undefined {
    if (data.length === 0) return undefined;
    const offsets = data.valueOffsets as ArrayLike<number | bigint> | undefined;
    if (offsets == null || offsets.length < end + 1) return `offsets of ${offsets?.length ?? 0} entries for ${data.length} values`;
    let previous = Number(offsets[data.offset]);
    if (previous < 0) return `offset ${previous} below 0`;
    for (let i = data.offset + 1; i <= end; i++) {
        const next = Number(offsets[i]);
        if (next < previous) return `offset ${next} after ${previous} (offsets must not decrease)`;
        previous = next;
    }
    return previous > limit ? `offset ${previous} past the ${limit} items of data` : undefined;
}

function checkUtf8(data: Data, end: number): string | undefined {
    if (data.length === 0) return undefined;
    const offsets = data.valueOffsets as ArrayLike<number | bigint>;
    const bytes = (data.values as Uint8Array).subarray(Number(offsets[data.offset]), Number(offsets[end]));
    return isUtf8(bytes) ? undefined : "strings that are not UTF-8";
}

function checkDictionary(data: Data, end: number): string | undefined {
    const size = data.dictionary?.length ?? 0;
    const indices = data.values as ArrayLike<number | bigint>;
    for (let i = data.offset; i < end; i++) {
        if (data.nullBitmap != null && data.nullBitmap.length > 0 && !bitSet(data.nullBitmap, i)) continue;
        const index = Number(indices[i]);
        if (index < 0 || index >= size) return `dictionary index ${index} outside its ${size} values`;
    }
    for (const chunk of data.dictionary?.data ?? []) {
        const problem = checkArrowData(chunk, chunk.length);
        if (problem !== undefined) return `in its dictionary: ${problem}`;
    }
    return undefined;
}

function bitSet(bitmap: Uint8Array, index: number): boolean {
    return (bitmap[index >> 3]! & (1 << (index & 7))) !== 0;
}

function countBits(bitmap: Uint8Array, start: number, end: number): number {
    let count = 0;
    for (let i = start; i < end; i++) if (bitSet(bitmap, i)) count++;
    return count;
}
