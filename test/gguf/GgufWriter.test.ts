import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, describe, expect, test} from "vitest";
import {readGgufFileInfo} from "node-llama-cpp";
import {GgufWriter} from "../../src/gguf/GgufWriter.js";
import {GgufWriteError} from "../../src/gguf/GgufWriteError.js";
import {float16ToFloat32} from "../../src/gguf/float32ToFloat16.js";

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-"));
afterAll(() => fs.rmSync(tempDir, {recursive: true, force: true}));

function* chunksOf(values: Float32Array, size: number) {
    for (let start = 0; start < values.length; start += size) yield values.slice(start, start + size);
}

describe("GgufWriter", () => {
    test("writes metadata of every type and aligned F32/F16/Q8_0 tensors that node-llama-cpp reads back", async () => {
        const filePath = path.join(tempDir, "types.gguf");
        const handle = await fs.promises.open(filePath, "w");
        const writer = new GgufWriter({handle, path: filePath, bufferBytes: 1024});

        writer
            .setMetadata("general.architecture", {type: "string", value: "llama"})
            .setMetadata("test.u8", {type: "uint8", value: 255})
            .setMetadata("test.i8", {type: "int8", value: -128})
            .setMetadata("test.u16", {type: "uint16", value: 65535})
            .setMetadata("test.i16", {type: "int16", value: -32768})
            .setMetadata("test.u32", {type: "uint32", value: 4_000_000_000})
            .setMetadata("test.i32", {type: "int32", value: -2_000_000_000})
            .setMetadata("test.f32", {type: "float32", value: 0.5})
            .setMetadata("test.f64", {type: "float64", value: 0.1})
            .setMetadata("test.u64", {type: "uint64", value: 2n ** 60n})
            .setMetadata("test.i64", {type: "int64", value: -5})
            .setMetadata("test.bool", {type: "bool", value: true})
            .setMetadata("test.text", {type: "string", value: "héllo ▁ 😀\n"})
            .setMetadata("test.strings", {type: "array", itemType: "string", values: ["a", "", "<0x0A>", "漢字"]})
            .setMetadata("test.floats", {type: "array", itemType: "float32", values: [1.5, -2, 0]})
            .setMetadata("test.ints", {type: "array", itemType: "int32", values: [1, -1, 6]});

        const f32 = Float32Array.from({length: 3 * 5}, (_, i) => i - 7.25);
        const f16 = Float32Array.from({length: 7}, (_, i) => i / 3);
        const q8 = Float32Array.from({length: 64 * 3}, (_, i) => Math.sin(i));
        writer.addTensor({name: "a.f32", shape: [3, 5], type: "F32"});
        writer.addTensor({name: "b.f16", shape: [7], type: "F16"});
        writer.addTensor({name: "c.q8_0", shape: [64, 3], type: "Q8_0"});

        await writer.writeHeader();
        await writer.writeTensorData("a.f32", chunksOf(f32, 4));
        await writer.writeTensorData("b.f16", [f16]);
        await writer.writeTensorData("c.q8_0", chunksOf(q8, 7)); // chunks that split blocks
        const bytes = await writer.finish();
        await handle.close();

        expect(fs.statSync(filePath).size).toBe(bytes);

        const info = await readGgufFileInfo(filePath, {logWarnings: false});
        const metadata = info.metadata as unknown as Record<string, Record<string, unknown>>;
        expect(info.version).toBe(3);
        expect(metadata.test).toMatchObject({
            u8: 255,
            i8: -128,
            u16: 65535,
            i16: -32768,
            u32: 4_000_000_000,
            i32: -2_000_000_000,
            f32: 0.5,
            f64: 0.1,
            bool: true,
            text: "héllo ▁ 😀\n",
            strings: ["a", "", "<0x0A>", "漢字"],
            floats: [1.5, -2, 0],
            ints: [1, -1, 6]
        });
        expect(BigInt(metadata.test!.u64 as bigint)).toBe(2n ** 60n);
        expect(Number(metadata.test!.i64)).toBe(-5);

        const tensors = info.tensorInfo!;
        expect(tensors.map((tensor) => [tensor.name, tensor.dimensions.map(Number), tensor.ggmlType])).toEqual([
            ["a.f32", [3, 5], 0],
            ["b.f16", [7], 1],
            ["c.q8_0", [64, 3], 8]
        ]);

        const file = fs.readFileSync(filePath);
        for (const tensor of tensors) expect(Number(tensor.fileOffset) % 32).toBe(0);

        const f32Offset = Number(tensors[0]!.fileOffset);
        expect([...new Float32Array(file.buffer.slice(file.byteOffset + f32Offset, file.byteOffset + f32Offset + 60))]).toEqual([...f32]);

        const f16Offset = Number(tensors[1]!.fileOffset);
        for (let i = 0; i < f16.length; i++) expect(float16ToFloat32(file.readUInt16LE(f16Offset + 2 * i))).toBeCloseTo(f16[i]!, 3);

        const q8Offset = Number(tensors[2]!.fileOffset);
        expect(file.length).toBeGreaterThanOrEqual(q8Offset + 6 * 34);
        for (let block = 0; block < 6; block++) {
            const scale = float16ToFloat32(file.readUInt16LE(q8Offset + block * 34));
            for (let i = 0; i < 32; i++) {
                const value = q8[block * 32 + i]!;
                expect(Math.abs(file.readInt8(q8Offset + block * 34 + 2 + i) * scale - value)).toBeLessThan(scale);
            }
        }
    });

    test("rejects out-of-order data, wrong lengths and bad shapes with messages naming the tensor", async () => {
        const filePath = path.join(tempDir, "errors.gguf");
        const handle = await fs.promises.open(filePath, "w");
        try {
            const writer = new GgufWriter({handle, path: filePath});
            expect(() => writer.addTensor({name: "odd", shape: [33], type: "Q8_0"})).toThrow(/"odd" is Q8_0 but its row length 33/);
            writer.addTensor({name: "x", shape: [4], type: "F32"});
            writer.addTensor({name: "y", shape: [4], type: "F32"});
            expect(() => writer.addTensor({name: "x", shape: [4], type: "F32"})).toThrow(GgufWriteError);

            await expect(writer.writeTensorData("x", [new Float32Array(4)])).rejects.toThrow(/before the header/);
            await writer.writeHeader();
            expect(() => writer.setMetadata("late", {type: "bool", value: true})).toThrow(/after the header/);
            await expect(writer.writeTensorData("y", [new Float32Array(4)])).rejects.toThrow(/out of order; expected "x"/);
            await expect(writer.writeTensorData("x", [new Float32Array(3)])).rejects.toThrow(/"x" got 3 values, expected 4/);
        } finally {
            await handle.close();
        }
    });

    test("rejects metadata values outside their type", async () => {
        const filePath = path.join(tempDir, "range.gguf");
        const handle = await fs.promises.open(filePath, "w");
        try {
            const writer = new GgufWriter({handle, path: filePath});
            writer.setMetadata("bad.u8", {type: "uint8", value: 256});
            await expect(writer.writeHeader()).rejects.toThrow(/"bad.u8" has value 256 that is not a valid uint8/);
        } finally {
            await handle.close();
        }
    });
});
