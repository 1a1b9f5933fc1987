const conversionBuffer = new ArrayBuffer(4);
const conversionFloat = new Float32Array(conversionBuffer);
const conversionBits = new Uint32Array(conversionBuffer);

/**
 * Converts a number to the bits of the nearest IEEE 754 half-precision float
 * (round to nearest, ties to even), as GGUF stores F16 tensors and Q8_0 scales.
 *
 * The number is first rounded to float32 (as ggml does); overflow gives ±Infinity,
 * values below half the smallest subnormal give ±0, NaN stays NaN.
 */
export function float32ToFloat16(value: number): number {
    conversionFloat[0] = value;
    const bits = conversionBits[0]!;
    const sign = (bits >>> 16) & 0x8000;
    const exponent = (bits >>> 23) & 0xff;
    const mantissa = bits & 0x7fffff;

    if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);

    const halfExponent = exponent - 127 + 15;
    if (halfExponent >= 0x1f) return sign | 0x7c00;

    if (halfExponent <= 0) {
        // subnormal half (or zero): value = fullMantissa * 2^(halfExponent - 14 - 10) = half * 2^-24
        if (halfExponent < -10) return sign;

        const fullMantissa = mantissa | 0x800000;
        const shift = 14 - halfExponent;
        let half = fullMantissa >>> shift;
        const remainder = fullMantissa & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half++;

        return sign | half;
    }

    let half = (halfExponent << 10) | (mantissa >>> 13);
    const remainder = mantissa & 0x1fff;
    if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half++; // a carry into the exponent is correct, up to Infinity

    return sign | half;
}

/** Decodes the bits of an IEEE 754 half-precision float (the inverse of {@link float32ToFloat16}). */
export function float16ToFloat32(bits: number): number {
    const sign = (bits & 0x8000) !== 0 ? -1 : 1;
    const exponent = (bits >>> 10) & 0x1f;
    const mantissa = bits & 0x3ff;

    if (exponent === 0) return sign * mantissa * 2 ** -24;
    if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;

    return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
