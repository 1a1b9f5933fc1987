import fs from "node:fs/promises";
import type {GgufMetadataValue, GgufScalarType} from "./GgufWriter.js";
import {GgufReadError} from "./GgufReadError.js";

const ggufMagic = 0x46554747; // "GGUF" read as a little-endian uint32

const scalarTypes: readonly (GgufScalarType | "array")[] = [
    "uint8",
    "int8",
    "uint16",
    "int16",
    "uint32",
    "int32",
    "float32",
    "bool",
    "string",
    "array",
    "uint64",
    "int64",
    "float64"
];

/** Metadata of a GGUF file: every key with its exact GGUF type, in file order. */
export type GgufMetadata = Map<string, GgufMetadataValue>;

/**
 * Reads the metadata section of a GGUF file (versions 2 and 3) with each value's exact type, so it can be written
 * back unchanged by `GgufWriter` (used to copy a real tokenizer into a generated model). Tensor data is not read.
 */
export async function readGgufMetadata(filePath: string): Promise<GgufMetadata> {
    let bytes: Buffer;
    try {
        bytes = await fs.readFile(filePath);
    } catch (err) {
        throw new GgufReadError(`${filePath}: cannot read the GGUF file (${(err as Error).message})`, {cause: err});
    }
    const reader = new Reader(bytes, filePath);
    if (bytes.length < 24 || bytes.readUInt32LE(0) !== ggufMagic)
        throw new GgufReadError(`${filePath}: not a GGUF file (no "GGUF" magic at the start); pass a .gguf model or vocabulary file`);
    reader.offset = 4;
    const version = reader.uint32();
    if (version !== 2 && version !== 3) throw new GgufReadError(`${filePath}: GGUF version ${version} is not supported (2 and 3 are)`);
    reader.uint64(); // tensor count
    const count = reader.uint64();
    const metadata: GgufMetadata = new Map();
    for (let i = 0; i < count; i++) {
        const key = reader.string();
        const type = reader.type();
        if (type === "array") {
            const itemType = reader.type();
            if (itemType === "array") throw new GgufReadError(`${filePath}: metadata key ${key} is an array of arrays, which airlabel does not copy`);
            const length = reader.uint64();
            const values: (number | bigint | boolean | string)[] = new Array(length);
            for (let j = 0; j < length; j++) values[j] = reader.scalar(itemType);
            metadata.set(key, {type: "array", itemType, values});
        } else {
            metadata.set(key, {type, value: reader.scalar(type)} as GgufMetadataValue);
        }
    }
    return metadata;
}

class Reader {
    public offset = 0;

    public constructor(
        private readonly _bytes: Buffer,
        private readonly _path: string
    ) {}

    public type(): GgufScalarType | "array" {
        const id = this.uint32();
        const type = scalarTypes[id];
        if (type === undefined)
            throw new GgufReadError(`${this._path}: unknown GGUF metadata type ${id} at byte ${this.offset - 4}; the file is damaged or newer than airlabel`);
        return type;
    }

    public uint32(): number {
        this._need(4);
        const value = this._bytes.readUInt32LE(this.offset);
        this.offset += 4;
        return value;
    }

    public uint64(): number {
        this._need(8);
        const value = this._bytes.readBigUInt64LE(this.offset);
        this.offset += 8;
        if (value > BigInt(this._bytes.length))
            throw new GgufReadError(`${this._path}: a length of ${value} at byte ${this.offset - 8} runs past the end of the file; the file is damaged`);
        return Number(value);
    }

    public string(): string {
        const length = this.uint64();
        this._need(length);
        const value = this._bytes.toString("utf8", this.offset, this.offset + length);
        this.offset += length;
        return value;
    }

    public scalar(type: GgufScalarType): number | bigint | boolean | string {
        const b = this._bytes;
        const at = this.offset;
        const size = ({uint8: 1, int8: 1, bool: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8, string: 0} as const)[
            type
        ];
        if (type === "string") return this.string();
        this._need(size);
        this.offset += size;
        switch (type) {
            case "uint8":
                return b.readUInt8(at);
            case "int8":
                return b.readInt8(at);
            case "bool":
                return b.readUInt8(at) !== 0;
            case "uint16":
                return b.readUInt16LE(at);
            case "int16":
                return b.readInt16LE(at);
            case "uint32":
                return b.readUInt32LE(at);
            case "int32":
                return b.readInt32LE(at);
            case "float32":
                return b.readFloatLE(at);
            case "uint64":
                return b.readBigUInt64LE(at);
            case "int64":
                return b.readBigInt64LE(at);
            case "float64":
                return b.readDoubleLE(at);
        }
    }

    private _need(bytes: number): void {
        if (this.offset + bytes > this._bytes.length)
            throw new GgufReadError(`${this._path}: the metadata ends early (byte ${this.offset} of ${this._bytes.length}); the file is truncated or damaged`);
    }
}
