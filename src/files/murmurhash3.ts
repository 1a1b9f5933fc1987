/**
 * MurmurHash3 x86_32 of the UTF-8 bytes of `text`, as a signed 32-bit integer: the value Python's `mmh3.hash(text, seed)`
 * and explosion's `murmurhash.hash(text, seed)` return (both wrap Austin Appleby's MurmurHash3_x86_32; mmh3's README
 * gives `hash("foo") == -156908512` and `hash("foo", 42) == -1322301282`, which the tests check).
 */
export function murmurhash3(text: string, seed = 0): number {
    const bytes = Buffer.from(text, "utf8");
    const c1 = 0xcc9e2d51;
    const c2 = 0x1b873593;
    let h = seed >>> 0;
    const blocks = bytes.length >>> 2;
    for (let i = 0; i < blocks; i++) {
        let k = bytes.readUInt32LE(i * 4);
        k = Math.imul(k, c1);
        k = (k << 15) | (k >>> 17);
        k = Math.imul(k, c2);
        h ^= k;
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    const tail = blocks * 4;
    const rest = bytes.length & 3;
    if (rest > 0) {
        let k = 0;
        if (rest === 3) k ^= bytes[tail + 2]! << 16;
        if (rest >= 2) k ^= bytes[tail + 1]! << 8;
        k ^= bytes[tail]!;
        k = Math.imul(k, c1);
        k = (k << 15) | (k >>> 17);
        k = Math.imul(k, c2);
        h ^= k;
    }
    h ^= bytes.length;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h | 0;
}
