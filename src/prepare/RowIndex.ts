/** Generation order of prepared rows. */
export type RowSort = "shortest" | "longest" | "none";

/**
 * The per-row facts prepare keeps in memory while the rows themselves are spilled to disk: idx and prompt token
 * count, in typed arrays (12 bytes a row), plus a histogram of token counts.
 */
export class RowIndex {
    #idx = new Float64Array(1024);
    #tokens = new Int32Array(1024);
    #length = 0;
    public readonly histogram = new Map<number, number>();

    public get length(): number {
        return this.#length;
    }

    public push(idx: number, tokens: number): void {
        if (this.#length === this.#idx.length) {
            const idxs = new Float64Array(this.#idx.length * 2);
            idxs.set(this.#idx);
            this.#idx = idxs;
            const counts = new Int32Array(this.#tokens.length * 2);
            counts.set(this.#tokens);
            this.#tokens = counts;
        }
        this.#idx[this.#length] = idx;
        this.#tokens[this.#length] = tokens;
        this.#length++;
        this.histogram.set(tokens, (this.histogram.get(tokens) ?? 0) + 1);
    }

    /**
     * For each pushed row (by push order), its position in generation order: by token count (ties by idx) for
     * "shortest" and "longest", by idx for "none".
     */
    public ranks(sort: RowSort): Uint32Array {
        const idx = this.#idx,
            tokens = this.#tokens;
        const order = new Uint32Array(this.#length);
        for (let i = 0; i < order.length; i++) order[i] = i;
        if (sort === "shortest") order.sort((a, b) => tokens[a]! - tokens[b]! || idx[a]! - idx[b]!);
        else if (sort === "longest") order.sort((a, b) => tokens[b]! - tokens[a]! || idx[a]! - idx[b]!);
        else order.sort((a, b) => idx[a]! - idx[b]!);
        const rank = new Uint32Array(this.#length);
        for (let position = 0; position < order.length; position++) rank[order[position]!] = position;
        return rank;
    }
}

/** Summary of a token histogram restricted to prompts of at most `limit` tokens. */
export function histogramStats(
    histogram: Iterable<[number, number]>,
    limit: number
): {rows: number; overLimit: number; min: number; max: number; total: number} {
    let rows = 0,
        overLimit = 0,
        min = Infinity,
        max = 0,
        total = 0;
    for (const [tokens, count] of histogram) {
        if (tokens > limit) {
            overLimit += count;
            continue;
        }
        rows += count;
        total += tokens * count;
        min = Math.min(min, tokens);
        max = Math.max(max, tokens);
    }
    return {rows, overLimit, min: rows === 0 ? 0 : min, max, total};
}
