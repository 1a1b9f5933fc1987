import os from "node:os";
import type {FileHandle} from "node:fs/promises";
import {GgufWriteError} from "./GgufWriteError.js";
import {float32ToFloat16} from "./float32ToFloat16.js";
import {q8_0BlockBytes, q8_0BlockSize, quantizeQ8_0} from "./quantizeQ8_0.js";

/** Tensor types this writer can encode (ggml type ids 0, 1 and 8). */
export type GgufTensorType = "F32" | "F16" | "Q8_0";

/** GGUF metadata value types other than arrays. */
export type GgufScalarType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "bool" | "string" | "uint64" | "int64" | "float64";

/** One typed GGUF metadata value; numbers carry their exact GGUF type, arrays their item type. */
export type GgufMetadataValue =
    | {type: "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64"; value: number}
    | {type: "uint64" | "int64"; value: number | bigint}
    | {type: "bool"; value: boolean}
    | {type: "string"; value: string}
    | {type: "array"; itemType: GgufScalarType; values: readonly (number | bigint | boolean | string)[]};

/** A tensor declared before the header is written. */
export type GgufTensorInfo = {
    /** Tensor name, e.g. `blk.0.attn_q.weight`. */
    name: string;
    /** Dimensions in ggml order: `shape[0]` is the row length (the fastest-varying index). */
    shape: readonly number[];
    /** Storage type; Q8_0 needs `shape[0]` to be a multiple of 32. */
    type: GgufTensorType;
};

export type GgufWriterOptions = {
    /** Open, empty, writable file to write to. */
    handle: FileHandle;
    /** Path of that file, used in error messages. */
    path: string;
    /** Alignment of the tensor data section and of each tensor's data. Defaults to 32. */
    alignment?: number;
    /** Size of the write buffer in bytes. Defaults to 4 MiB. */
    bufferBytes?: number;
};

type DeclaredTensor = GgufTensorInfo & {elements: number; bytes: number; offset: number};

const ggufMagic = 0x46554747; // "GGUF" read as a little-endian uint32
const ggufVersion = 3;

const metadataTypeIds: Record<GgufScalarType | "array", number> = {
    uint8: 0,
    int8: 1,
    uint16: 2,
    int16: 3,
    uint32: 4,
    int32: 5,
    float32: 6,
    bool: 7,
    string: 8,
    array: 9,
    uint64: 10,
    int64: 11,
    float64: 12
};

const tensorTypes: Record<GgufTensorType, {id: number; blockSize: number; blockBytes: number}> = {
    F32: {id: 0, blockSize: 1, blockBytes: 4},
    F16: {id: 1, blockSize: 1, blockBytes: 2},
    Q8_0: {id: 8, blockSize: q8_0BlockSize, blockBytes: q8_0BlockBytes}
};

/**
 * Streaming GGUF v3 writer.
 *
 * Usage: {@link setMetadata} and {@link addTensor} for everything, then {@link writeHeader},
 * then {@link writeTensorData} once per tensor in the order they were added (data arrives as float32
 * chunks and is encoded to the tensor's type on the fly, so no tensor needs to be in memory whole),
 * then {@link finish}. The writer never closes the handle.
 */
export class GgufWriter {
    public readonly path: string;
    public readonly alignment: number;
    private readonly _handle: FileHandle;
    private readonly _metadata = new Map<string, GgufMetadataValue>();
    private readonly _tensors: DeclaredTensor[] = [];
    private readonly _buffer: Uint8Array;
    private _bufferUsed = 0;
    private _bytesWritten = 0;
    private _dataSectionStart = -1;
    private _nextTensorIndex = 0;
    private _finished = false;

    public constructor(options: GgufWriterOptions) {
        if (os.endianness() !== "LE") throw new GgufWriteError(`${options.path}: GGUF writing needs a little-endian machine`);

        this.path = options.path;
        this.alignment = options.alignment ?? 32;
        this._handle = options.handle;
        this._buffer = new Uint8Array(Math.max(1024, options.bufferBytes ?? 4 * 1024 * 1024));

        if (!Number.isInteger(this.alignment) || this.alignment <= 0 || this.alignment % 8 !== 0)
            throw new GgufWriteError(`${this.path}: alignment must be a positive multiple of 8, got ${this.alignment}`);
    }

    /** Bytes written to the file so far. */
    public get bytesWritten(): number {
        return this._bytesWritten + this._bufferUsed;
    }

    /** Tensors declared so far, with their data offsets and sizes. */
    public get tensors(): readonly Readonly<DeclaredTensor>[] {
        return this._tensors;
    }

    /** Sets (or replaces) a metadata key; only before {@link writeHeader}. */
    public setMetadata(key: string, value: GgufMetadataValue): this {
        this._assertBeforeHeader(`metadata key "${key}"`);
        if (key.length === 0) throw new GgufWriteError(`${this.path}: metadata keys must not be empty`);

        this._metadata.set(key, value);
        return this;
    }

    /** Declares a tensor; only before {@link writeHeader}. Returns its element count. */
    public addTensor(info: GgufTensorInfo): number {
        this._assertBeforeHeader(`tensor "${info.name}"`);
        if (this._tensors.some((tensor) => tensor.name === info.name)) throw new GgufWriteError(`${this.path}: tensor "${info.name}" is declared twice`);
        if (info.shape.length === 0 || info.shape.length > 4 || info.shape.some((dim) => !Number.isSafeInteger(dim) || dim <= 0))
            throw new GgufWriteError(`${this.path}: tensor "${info.name}" has shape [${info.shape.join(", ")}]; use 1 to 4 positive integer dimensions`);

        const typeInfo = tensorTypes[info.type];
        if (info.shape[0]! % typeInfo.blockSize !== 0)
            throw new GgufWriteError(
                `${this.path}: tensor "${info.name}" is ${info.type} but its row length ${info.shape[0]} is not a multiple of ${typeInfo.blockSize}`
            );

        const elements = info.shape.reduce((product, dim) => product * dim, 1);
        const bytes = (elements / typeInfo.blockSize) * typeInfo.blockBytes;
        const last = this._tensors[this._tensors.length - 1];
        const offset = last == null ? 0 : this._align(last.offset + last.bytes);

        this._tensors.push({name: info.name, shape: [...info.shape], type: info.type, elements, bytes, offset});
        return elements;
    }

    /** Writes the header, metadata and tensor infos, padded to the alignment. */
    public async writeHeader(): Promise<void> {
        this._assertBeforeHeader("the header");

        const encoder = new ByteEncoder();
        encoder.uint32(ggufMagic);
        encoder.uint32(ggufVersion);
        encoder.uint64(this._tensors.length);
        encoder.uint64(this._metadata.size);

        for (const [key, value] of this._metadata) {
            encoder.string(key);
            this._encodeMetadataValue(encoder, key, value);
        }

        for (const tensor of this._tensors) {
            encoder.string(tensor.name);
            encoder.uint32(tensor.shape.length);
            for (const dim of tensor.shape) encoder.uint64(dim);

            encoder.uint32(tensorTypes[tensor.type].id);
            encoder.uint64(tensor.offset);
        }

        const header = encoder.bytes();
        await this._append(header);
        await this._appendZeros(this._align(header.length) - header.length);
        this._dataSectionStart = this.bytesWritten;
    }

    /**
     * Streams the data of the next declared tensor: float32 chunks whose lengths add up to the tensor's
     * element count (chunks may split Q8_0 blocks anywhere). Pads the data to the alignment afterwards.
     */
    public async writeTensorData(name: string, chunks: Iterable<Float32Array> | AsyncIterable<Float32Array>): Promise<void> {
        if (this._dataSectionStart < 0) throw new GgufWriteError(`${this.path}: tensor "${name}" data written before the header; call writeHeader() first`);

        const tensor = this._tensors[this._nextTensorIndex];
        if (tensor == null || tensor.name !== name)
            throw new GgufWriteError(
                `${this.path}: tensor "${name}" data written out of order; expected ` + (tensor == null ? "no more tensors" : `"${tensor.name}"`)
            );

        const typeInfo = tensorTypes[tensor.type];
        const pending = new Float32Array(typeInfo.blockSize);
        let pendingUsed = 0;
        let received = 0;

        for await (const chunk of chunks) {
            received += chunk.length;
            if (received > tensor.elements) throw new GgufWriteError(`${this.path}: tensor "${name}" got more than its ${tensor.elements} values`);

            let start = 0;
            if (pendingUsed > 0) {
                const take = Math.min(chunk.length, pending.length - pendingUsed);
                pending.set(chunk.subarray(0, take), pendingUsed);
                pendingUsed += take;
                start = take;
                if (pendingUsed === pending.length) {
                    await this._encode(tensor.type, pending);
                    pendingUsed = 0;
                }
            }

            const wholeEnd = start + Math.floor((chunk.length - start) / typeInfo.blockSize) * typeInfo.blockSize;
            if (wholeEnd > start) await this._encode(tensor.type, chunk.subarray(start, wholeEnd));

            if (wholeEnd < chunk.length) {
                pending.set(chunk.subarray(wholeEnd), 0);
                pendingUsed = chunk.length - wholeEnd;
            }
        }

        if (received !== tensor.elements) throw new GgufWriteError(`${this.path}: tensor "${name}" got ${received} values, expected ${tensor.elements}`);

        const dataEnd = this._dataSectionStart + tensor.offset + tensor.bytes;
        if (this.bytesWritten !== dataEnd) throw new GgufWriteError(`${this.path}: tensor "${name}" ended at byte ${this.bytesWritten}, expected ${dataEnd}`);

        await this._appendZeros(this._align(this.bytesWritten) - this.bytesWritten);
        this._nextTensorIndex++;
    }

    /** Flushes buffered bytes after the last tensor; throws if a declared tensor got no data. Returns the file size. */
    public async finish(): Promise<number> {
        if (this._finished) return this._bytesWritten;

        if (this._dataSectionStart < 0) throw new GgufWriteError(`${this.path}: finish() called before writeHeader()`);

        const missing = this._tensors[this._nextTensorIndex];
        if (missing != null) throw new GgufWriteError(`${this.path}: tensor "${missing.name}" was declared but its data was never written`);

        await this._flush();
        this._finished = true;
        return this._bytesWritten;
    }

    private _assertBeforeHeader(what: string) {
        if (this._dataSectionStart >= 0)
            throw new GgufWriteError(`${this.path}: ${what} added after the header was written; add all metadata and tensors first`);
    }

    private _align(offset: number): number {
        return Math.ceil(offset / this.alignment) * this.alignment;
    }

    private _encodeMetadataValue(encoder: ByteEncoder, key: string, value: GgufMetadataValue) {
        encoder.uint32(metadataTypeIds[value.type]);

        if (value.type === "array") {
            encoder.uint32(metadataTypeIds[value.itemType]);
            encoder.uint64(value.values.length);
            for (const item of value.values) this._encodeScalar(encoder, key, value.itemType, item);
        } else this._encodeScalar(encoder, key, value.type, value.value);
    }

    private _encodeScalar(encoder: ByteEncoder, key: string, type: GgufScalarType, value: number | bigint | boolean | string) {
        const fail = (): never => {
            throw new GgufWriteError(`${this.path}: metadata key "${key}" has value ${String(value)} that is not a valid ${type}`);
        };

        if (type === "string") {
            if (typeof value !== "string") fail();

            encoder.string(value as string);
            return;
        } else if (type === "bool") {
            if (typeof value !== "boolean") fail();

            encoder.uint8(value ? 1 : 0);
            return;
        }

        if (typeof value !== "number" && typeof value !== "bigint") return fail();

        if (type === "float32" || type === "float64") {
            if (typeof value !== "number") fail();

            if (type === "float32") encoder.float32(value as number);
            else encoder.float64(value as number);

            return;
        }

        const integer = typeof value === "bigint" ? value : Number.isSafeInteger(value) ? BigInt(value) : fail();
        const ranges: Record<string, [bigint, bigint]> = {
            uint8: [0n, 0xffn],
            int8: [-0x80n, 0x7fn],
            uint16: [0n, 0xffffn],
            int16: [-0x8000n, 0x7fffn],
            uint32: [0n, 0xffffffffn],
            int32: [-0x80000000n, 0x7fffffffn],
            uint64: [0n, 0xffffffffffffffffn],
            int64: [-0x8000000000000000n, 0x7fffffffffffffffn]
        };
        const range = ranges[type];
        if (range == null || integer < range[0] || integer > range[1]) fail();

        encoder.integer(type, integer);
    }

    private async _encode(type: GgufTensorType, values: Float32Array) {
        if (type === "F32") {
            await this._append(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
            return;
        }

        const valuesPerBatch = type === "F16" ? Math.floor(this._buffer.length / 2) : Math.floor(this._buffer.length / q8_0BlockBytes) * q8_0BlockSize;

        for (let start = 0; start < values.length; start += valuesPerBatch) {
            const batch = values.subarray(start, Math.min(values.length, start + valuesPerBatch));
            const neededBytes = type === "F16" ? batch.length * 2 : (batch.length / q8_0BlockSize) * q8_0BlockBytes;
            if (this._buffer.length - this._bufferUsed < neededBytes) await this._flush();

            const buffer = this._buffer;
            if (type === "F16") {
                let out = this._bufferUsed;
                for (let i = 0; i < batch.length; i++) {
                    const half = float32ToFloat16(batch[i]!);
                    buffer[out] = half & 0xff;
                    buffer[out + 1] = half >>> 8;
                    out += 2;
                }
            } else quantizeQ8_0(batch, buffer, this._bufferUsed);

            this._bufferUsed += neededBytes;
        }
    }

    private async _append(bytes: Uint8Array) {
        if (bytes.length > this._buffer.length - this._bufferUsed) {
            await this._flush();
            if (bytes.length > this._buffer.length) {
                await this._writeFully(bytes);
                return;
            }
        }

        this._buffer.set(bytes, this._bufferUsed);
        this._bufferUsed += bytes.length;
    }

    private async _appendZeros(count: number) {
        if (count > 0) await this._append(new Uint8Array(count));
    }

    private async _flush() {
        if (this._bufferUsed === 0) return;

        const used = this._bufferUsed;
        this._bufferUsed = 0;
        await this._writeFully(this._buffer.subarray(0, used));
    }

    private async _writeFully(bytes: Uint8Array) {
        let written = 0;
        try {
            while (written < bytes.length) {
                const result = await this._handle.write(bytes, written, bytes.length - written);
                written += result.bytesWritten;
            }
        } catch (err) {
            throw new GgufWriteError(
                `${this.path}: write failed at byte ${this._bytesWritten + written} (${(err as Error).message}); check free disk space and permissions`,
                {cause: err}
            );
        }

        this._bytesWritten += bytes.length;
    }
}

/** Little-endian growable byte encoder for the header. */
class ByteEncoder {
    private _bytes = new Uint8Array(64 * 1024);
    private _view = new DataView(this._bytes.buffer);
    private _length = 0;
    private readonly _textEncoder = new TextEncoder();

    public bytes(): Uint8Array {
        return this._bytes.subarray(0, this._length);
    }

    public uint8(value: number) {
        this._reserve(1).setUint8(this._length - 1, value);
    }

    public uint32(value: number) {
        this._reserve(4).setUint32(this._length - 4, value, true);
    }

    public uint64(value: number) {
        this._reserve(8).setBigUint64(this._length - 8, BigInt(value), true);
    }

    public float32(value: number) {
        this._reserve(4).setFloat32(this._length - 4, value, true);
    }

    public float64(value: number) {
        this._reserve(8).setFloat64(this._length - 8, value, true);
    }

    public integer(type: GgufScalarType, value: bigint) {
        switch (type) {
            case "uint8":
                this._reserve(1).setUint8(this._length - 1, Number(value));
                break;
            case "int8":
                this._reserve(1).setInt8(this._length - 1, Number(value));
                break;
            case "uint16":
                this._reserve(2).setUint16(this._length - 2, Number(value), true);
                break;
            case "int16":
                this._reserve(2).setInt16(this._length - 2, Number(value), true);
                break;
            case "uint32":
                this._reserve(4).setUint32(this._length - 4, Number(value), true);
                break;
            case "int32":
                this._reserve(4).setInt32(this._length - 4, Number(value), true);
                break;
            case "uint64":
                this._reserve(8).setBigUint64(this._length - 8, value, true);
                break;
            case "int64":
                this._reserve(8).setBigInt64(this._length - 8, value, true);
                break;
            default:
                throw new RangeError(`${type} is not an integer type`);
        }
    }

    public string(value: string) {
        const encoded = this._textEncoder.encode(value);
        this.uint64(encoded.length);
        this._reserve(encoded.length);
        this._bytes.set(encoded, this._length - encoded.length);
    }

    /** Grows the buffer so `size` more bytes fit, advances the length and returns the view to write them through. */
    private _reserve(size: number): DataView {
        if (this._length + size > this._bytes.length) {
            let capacity = this._bytes.length * 2;
            while (capacity < this._length + size) capacity *= 2;

            const grown = new Uint8Array(capacity);
            grown.set(this._bytes.subarray(0, this._length));
            this._bytes = grown;
            this._view = new DataView(grown.buffer);
        }

        this._length += size;
        return this._view;
    }
}
