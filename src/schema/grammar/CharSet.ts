/** Largest Unicode code point. */
const maxCodePoint = 0x10ffff;

/**
 * A set of Unicode code points as sorted, disjoint, non-adjacent inclusive ranges. Immutable.
 * Used for regex character classes and for the characters a JSON string may contain.
 */
export class CharSet {
    public readonly ranges: readonly (readonly [number, number])[];

    private constructor(ranges: readonly (readonly [number, number])[]) {
        this.ranges = ranges;
    }

    public static readonly empty = new CharSet([]);
    public static readonly all = new CharSet([[0, maxCodePoint]]);

    public static of(ranges: readonly (readonly [number, number])[]): CharSet {
        const sorted = ranges
            .filter(([lo, hi]) => lo <= hi)
            .map(([lo, hi]) => [lo, hi] as [number, number])
            .sort((a, b) => a[0] - b[0]);
        const merged: [number, number][] = [];
        for (const range of sorted) {
            const last = merged[merged.length - 1];
            if (last !== undefined && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
            else merged.push(range);
        }
        return new CharSet(merged);
    }

    public static char(codePoint: number): CharSet {
        return new CharSet([[codePoint, codePoint]]);
    }

    /** Characters of `text`, e.g. `CharSet.chars("abc")`. */
    public static chars(text: string): CharSet {
        return CharSet.of([...text].map((c) => [c.codePointAt(0)!, c.codePointAt(0)!] as const));
    }

    public get isEmpty(): boolean {
        return this.ranges.length === 0;
    }

    /** The number of code points in the set. */
    public get size(): number {
        return this.ranges.reduce((sum, [lo, hi]) => sum + hi - lo + 1, 0);
    }

    /** The only code point of a one-character set, else undefined. */
    public get single(): number | undefined {
        const first = this.ranges[0];
        return this.ranges.length === 1 && first !== undefined && first[0] === first[1] ? first[0] : undefined;
    }

    public has(codePoint: number): boolean {
        return this.ranges.some(([lo, hi]) => codePoint >= lo && codePoint <= hi);
    }

    public union(other: CharSet): CharSet {
        return CharSet.of([...this.ranges, ...other.ranges]);
    }

    public complement(): CharSet {
        const out: [number, number][] = [];
        let next = 0;
        for (const [lo, hi] of this.ranges) {
            if (lo > next) out.push([next, lo - 1]);
            next = hi + 1;
        }
        if (next <= maxCodePoint) out.push([next, maxCodePoint]);
        return new CharSet(out);
    }

    public intersect(other: CharSet): CharSet {
        return this.complement().union(other.complement()).complement();
    }

    public subtract(other: CharSet): CharSet {
        return this.intersect(other.complement());
    }

    public equals(other: CharSet): boolean {
        return this.ranges.length === other.ranges.length && this.ranges.every(([lo, hi], i) => other.ranges[i]![0] === lo && other.ranges[i]![1] === hi);
    }

    /** ASCII-case-insensitive closure (adds the other case of each ASCII letter). */
    public caseFolded(): CharSet {
        const extra: [number, number][] = [];
        for (const [lo, hi] of this.ranges) {
            const upper = [Math.max(lo, 0x41), Math.min(hi, 0x5a)] as const;
            if (upper[0] <= upper[1]) extra.push([upper[0] + 32, upper[1] + 32]);
            const lower = [Math.max(lo, 0x61), Math.min(hi, 0x7a)] as const;
            if (lower[0] <= lower[1]) extra.push([lower[0] - 32, lower[1] - 32]);
        }
        return CharSet.of([...this.ranges, ...extra]);
    }
}
