import {describe, expect, test} from "vitest";
import {quantizeQ8_0} from "../../src/gguf/quantizeQ8_0.js";
import {float16ToFloat32} from "../../src/gguf/float32ToFloat16.js";

describe("quantizeQ8_0", () => {
    test("writes an fp16 scale max|x|/127 then 32 int8 quants per block", () => {
        const values = new Float32Array(64);
        for (let i = 0; i < 32; i++) values[i] = (i - 16) / 16; // max |x| = 1
        values.fill(0, 32); // an all-zero block

        const out = new Uint8Array(68);
        expect(quantizeQ8_0(values, out)).toBe(68);

        const view = new DataView(out.buffer);
        const scale = float16ToFloat32(view.getUint16(0, true));
        expect(scale).toBeCloseTo(1 / 127, 5);
        for (let i = 0; i < 32; i++) {
            const quant = view.getInt8(2 + i);
            expect(quant).toBe(Math.sign(values[i]!) * Math.round(Math.abs(values[i]! * 127)));
            expect(Math.abs(quant * scale - values[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
        }
        expect(view.getInt8(2)).toBe(-127);

        expect(view.getUint16(34, true)).toBe(0);
        expect([...out.subarray(36)].every((byte) => byte === 0)).toBe(true);
    });

    test("rejects a length that is not a whole number of blocks", () => {
        expect(() => quantizeQ8_0(new Float32Array(33), new Uint8Array(100))).toThrow(/multiple of 32/);
    });
});
