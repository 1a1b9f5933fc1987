/** Hyperparameters of a generated llama-architecture model. */
export type LlamaShape = {
    /** Embedding length (n_embd). */
    embedding: number;
    /** Transformer blocks (n_layer). */
    layers: number;
    /** Attention heads (n_head). */
    heads: number;
    /** Key/value heads (n_head_kv); fewer than `heads` means grouped-query attention. */
    headsKv: number;
    /** Feed-forward length (n_ff). */
    feedForward: number;
    /** Vocabulary size. */
    vocabulary: number;
    /** Training context length (n_ctx_train). */
    contextLength: number;
};

/**
 * Exact parameter count of a llama model with this shape, as written by `writeLlamaGguf`:
 * token embeddings + untied output matrix (`2·V·E`), the output norm (`E`) and per block
 * two norms (`2E`), Q and O (`2E²`), K and V (`2·E·headDim·headsKv`) and the SwiGLU FFN (`3·E·F`).
 */
export function countLlamaParameters(shape: Omit<LlamaShape, "contextLength">): number {
    const {embedding: e, layers, heads, headsKv, feedForward: f, vocabulary: v} = shape;
    const kvDim = (e / heads) * headsKv;

    return 2 * v * e + e + layers * (2 * e + 2 * e * e + 2 * e * kvDim + 3 * e * f);
}

/**
 * Picks a llama shape whose exact parameter count is close to `parameters` (within a few percent
 * from 150K parameters up). The rule, deterministic and documented so results are predictable:
 *
 * 1. the ideal width `E*` solves `12·E²·(E/64) + 2·V·E = P`: a block holds about `12·E²` parameters,
 *    the depth is kept near `E/64` (768 wide → 12 layers, the proportions of GPT-2/Llama-style small
 *    models) and the embedding and output matrices hold `2·V·E`;
 * 2. candidate widths run from `0.7·E*` to `1.4·E*` (at least 64) in steps of 64, of 128 from 512
 *    and of 256 from 2048;
 *    head size is 64 from 256 wide (32 below), so `heads = E / headSize`; with 8 or more heads,
 *    key/value heads are `heads/4` (or `heads/2`) when that divides evenly (grouped-query attention),
 *    otherwise `heads`;
 * 3. for each width: `layers = round((P − embeddings) / block)` with the default FFN `≈ 8E/3`, then the
 *    FFN length is re-fitted to land on `P` (a multiple of 64 between `2E` and `4E`);
 * 4. the candidate with the smallest `relative error + 0.02·|log2(E/E*)|` wins.
 */
export function chooseLlamaShape(parameters: number, vocabulary: number, contextLength: number): LlamaShape {
    const idealWidth = solveIdealWidth(parameters, vocabulary);
    const minWidth = Math.max(64, Math.floor((0.7 * idealWidth) / 64) * 64);
    const maxWidth = Math.max(64, Math.ceil((1.4 * idealWidth) / 64) * 64);

    let best: {shape: LlamaShape; score: number} | undefined;
    for (let embedding = minWidth; embedding <= maxWidth; embedding += 64) {
        if ((embedding >= 512 && embedding % 128 !== 0) || (embedding >= 2048 && embedding % 256 !== 0)) continue;

        const headSize = embedding >= 256 ? 64 : 32;
        const heads = embedding / headSize;
        const headsKv = chooseKvHeads(heads);
        const kvDim = headSize * headsKv;

        const embeddings = 2 * vocabulary * embedding + embedding;
        const attention = 2 * embedding + 2 * embedding * embedding + 2 * embedding * kvDim;
        const defaultFeedForward = roundTo((8 * embedding) / 3, 64);
        const layers = Math.max(1, Math.round((parameters - embeddings) / (attention + 3 * embedding * defaultFeedForward)));

        const fittedFeedForward = roundTo((parameters - embeddings - layers * attention) / (3 * embedding * layers), 64);
        const feedForward = Math.min(4 * embedding, Math.max(2 * embedding, fittedFeedForward));

        const shape: LlamaShape = {embedding, layers, heads, headsKv, feedForward, vocabulary, contextLength};
        const error = Math.abs(countLlamaParameters(shape) - parameters) / parameters;
        const score = error + 0.02 * Math.abs(Math.log2(embedding / idealWidth));
        if (best == null || score < best.score) best = {shape, score};
    }

    return best!.shape;
}

function solveIdealWidth(parameters: number, vocabulary: number): number {
    let low = 1;
    let high = Math.max(64, Math.cbrt((64 * parameters) / 12));
    for (let i = 0; i < 60; i++) {
        const middle = (low + high) / 2;
        if (12 * middle * middle * (middle / 64) + 2 * vocabulary * middle < parameters) low = middle;
        else high = middle;
    }

    return low;
}

function chooseKvHeads(heads: number): number {
    if (heads < 8) return heads;
    else if (heads % 4 === 0) return heads / 4;
    else if (heads % 2 === 0) return heads / 2;

    return heads;
}

function roundTo(value: number, multiple: number): number {
    return Math.max(multiple, Math.round(value / multiple) * multiple);
}
