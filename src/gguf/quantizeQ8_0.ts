import {float32ToFloat16} from "./float32ToFloat16.js";

/** Values per Q8_0 block. */
export const q8_0BlockSize = 32;

/** Bytes per Q8_0 block: an fp16 scale followed by 32 int8 quants. */
export const q8_0BlockBytes = 2 + q8_0BlockSize;

/**
 * Quantizes `values` (a multiple of 32 long) to ggml's Q8_0 layout into `target` at `targetOffset`,
 * the way ggml's reference quantizer does: per block of 32, `d = max|x| / 127` stored as fp16,
 * then `q = round(x / d)` as int8 (rounding half away from zero, in float32 arithmetic).
 *
 * Returns the number of bytes written (`values.length / 32 * 34`).
 */
export function quantizeQ8_0(values: Float32Array, target: Uint8Array, targetOffset: number = 0): number {
    if (values.length % q8_0BlockSize !== 0) throw new RangeError(`Q8_0 input length ${values.length} is not a multiple of ${q8_0BlockSize}`);

    const blocks = values.length / q8_0BlockSize;
    const bytes = blocks * q8_0BlockBytes;
    if (targetOffset + bytes > target.length) throw new RangeError(`Q8_0 target has ${target.length - targetOffset} bytes left, ${bytes} needed`);

    let out = targetOffset;
    for (let block = 0; block < blocks; block++) {
        const start = block * q8_0BlockSize;
        const end = start + q8_0BlockSize;

        let maxAbs = 0;
        for (let i = start; i < end; i++) {
            const abs = Math.abs(values[i]!);
            if (abs > maxAbs) maxAbs = abs;
        }

        const scale = Math.fround(maxAbs / 127);
        const inverseScale = scale !== 0 ? Math.fround(1 / scale) : 0;
        const scaleBits = float32ToFloat16(scale);
        target[out] = scaleBits & 0xff;
        target[out + 1] = scaleBits >>> 8;
        out += 2;

        for (let i = start; i < end; i++) {
            const scaled = Math.fround(values[i]! * inverseScale);
            const quant = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
            target[out++] = quant & 0xff;
        }
    }

    return bytes;
}
