/**
 * Small, fast, deterministic PRNG (xoshiro128**) seeded through splitmix32,
 * with normal samples by the Box-Muller transform. The same seed and stream name
 * always give the same numbers, on every platform.
 */
export class SeededRandom {
    private _s0: number;
    private _s1: number;
    private _s2: number;
    private _s3: number;
    private _spareNormal = 0;
    private _hasSpareNormal = false;

    /**
     * @param seed - a non-negative safe integer
     * @param stream - an independent stream name (e.g. a tensor name): the same seed with different
     * streams gives unrelated sequences, so tensors can be generated in any order
     */
    public constructor(seed: number, stream: string = "") {
        if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);

        let state = hashString(stream) ^ 0x9e3779b9;
        const next = () => {
            state = (state + 0x9e3779b9) | 0;
            let z = state;
            z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
            z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
            return (z ^ (z >>> 16)) >>> 0;
        };

        state ^= seed >>> 0;
        next();
        state ^= Math.floor(seed / 0x100000000) >>> 0;

        this._s0 = next();
        this._s1 = next();
        this._s2 = next();
        this._s3 = next();
        if ((this._s0 | this._s1 | this._s2 | this._s3) === 0) this._s0 = 1;
    }

    /** Next uniform 32-bit unsigned integer. */
    public nextUint32(): number {
        const s0 = this._s0,
            s1 = this._s1,
            s2 = this._s2,
            s3 = this._s3;
        const product = Math.imul(s1, 5);
        const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
        const t = s1 << 9;

        const n2 = s2 ^ s0;
        const n3 = s3 ^ s1;
        this._s1 = s1 ^ n2;
        this._s0 = s0 ^ n3;
        this._s2 = n2 ^ t;
        this._s3 = (n3 << 11) | (n3 >>> 21);

        return result;
    }

    /** Uniform in [0, 1). */
    public nextFloat(): number {
        return this.nextUint32() / 0x100000000;
    }

    /** Normal with the given mean and standard deviation. */
    public nextNormal(mean: number = 0, standardDeviation: number = 1): number {
        if (this._hasSpareNormal) {
            this._hasSpareNormal = false;
            return mean + standardDeviation * this._spareNormal;
        }

        const u1 = (this.nextUint32() + 1) / 0x100000001; // (0, 1): never log(0)
        const u2 = this.nextUint32() / 0x100000000;
        const radius = Math.sqrt(-2 * Math.log(u1));
        const angle = 2 * Math.PI * u2;
        this._spareNormal = radius * Math.sin(angle);
        this._hasSpareNormal = true;
        return mean + standardDeviation * radius * Math.cos(angle);
    }

    /** Fills `target` with normal samples (mean 0) and returns it. */
    public fillNormal(target: Float32Array, standardDeviation: number): Float32Array {
        for (let i = 0; i < target.length; i++) target[i] = this.nextNormal(0, standardDeviation);

        return target;
    }
}

/** FNV-1a over the UTF-16 code units of `text`. */
function hashString(text: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);

    return hash >>> 0;
}
