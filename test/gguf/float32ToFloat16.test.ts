import {describe, expect, test} from "vitest";
import {float16ToFloat32, float32ToFloat16} from "../../src/gguf/float32ToFloat16.js";
import {SeededRandom} from "../../src/gguf/SeededRandom.js";

describe("float32ToFloat16", () => {
    test("encodes known values exactly", () => {
        expect(float32ToFloat16(0)).toBe(0x0000);
        expect(float32ToFloat16(-0)).toBe(0x8000);
        expect(float32ToFloat16(1)).toBe(0x3c00);
        expect(float32ToFloat16(-2)).toBe(0xc000);
        expect(float32ToFloat16(0.5)).toBe(0x3800);
        expect(float32ToFloat16(65504)).toBe(0x7bff); // largest finite half
        expect(float32ToFloat16(2 ** -14)).toBe(0x0400); // smallest normal
        expect(float32ToFloat16(2 ** -24)).toBe(0x0001); // smallest subnormal
        expect(float32ToFloat16(Infinity)).toBe(0x7c00);
        expect(float32ToFloat16(-Infinity)).toBe(0xfc00);
        expect(float32ToFloat16(NaN) & 0x7c00).toBe(0x7c00);
        expect(float32ToFloat16(NaN) & 0x3ff).not.toBe(0);
    });

    test("rounds ties to even and overflows to infinity", () => {
        // 1 + 2^-11 lies exactly between 1 (even mantissa) and 1 + 2^-10
        expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00);
        // 1 + 3·2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
        expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
        expect(float32ToFloat16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
        expect(float32ToFloat16(65520)).toBe(0x7c00); // halfway to 2^16 rounds to even = Infinity
        expect(float32ToFloat16(65519)).toBe(0x7bff);
        expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
        expect(float32ToFloat16(2 ** -25 + 2 ** -35)).toBe(0x0001);
        expect(float32ToFloat16(3 * 2 ** -25)).toBe(0x0002); // tie between subnormals 1 and 2 goes to 2
    });

    test("always picks the nearest half (checked against both neighbours)", () => {
        const random = new SeededRandom(1, "fp16");
        for (let i = 0; i < 20_000; i++) {
            const magnitude = 2 ** (random.nextFloat() * 40 - 26);
            const value = Math.fround((random.nextFloat() < 0.5 ? -1 : 1) * magnitude * (1 + random.nextFloat()));
            const bits = float32ToFloat16(value);
            const decoded = float16ToFloat32(bits);
            if (!Number.isFinite(decoded)) {
                expect(Math.abs(value)).toBeGreaterThanOrEqual(65520);
                continue;
            }

            const error = Math.abs(decoded - value);
            for (const neighbour of [(bits & 0x7fff) - 1, (bits & 0x7fff) + 1]) {
                if (neighbour < 0 || neighbour >= 0x7c00) continue;

                const neighbourValue = float16ToFloat32((bits & 0x8000) | neighbour);
                expect(error).toBeLessThanOrEqual(Math.abs(neighbourValue - value));
            }
        }
    });
});
