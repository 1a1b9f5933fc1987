import {InvalidOptionError} from "../AirlabelError.js";

/** A model shape given exactly (`writeLlamaGguf`'s `shape`), rather than derived from a parameter count. */
export type ExplicitLlamaShape = {
    /** Embedding length (n_embd), a multiple of `heads`. */
    embedding: number;
    /** Transformer blocks. */
    layers: number;
    /** Attention heads; the head size (`embedding / heads`) must be even (rotary embeddings). */
    heads: number;
    /** Key/value heads, dividing `heads`. Defaults to `heads` (no grouped-query attention). */
    headsKv?: number;
    /** Feed-forward length. */
    feedForward: number;
};

/** Validates an explicit shape once, with messages naming the field; returns it with `headsKv` filled in. */
export function checkExplicitShape(shape: ExplicitLlamaShape): Required<ExplicitLlamaShape> {
    const headsKv = shape.headsKv ?? shape.heads;
    for (const [field, value] of [
        ["embedding", shape.embedding],
        ["layers", shape.layers],
        ["heads", shape.heads],
        ["headsKv", headsKv],
        ["feedForward", shape.feedForward]
    ] as const) {
        if (!Number.isSafeInteger(value) || value < 1 || value > 1 << 20)
            throw new InvalidOptionError(`options.shape.${field} must be a positive integer, got ${String(value)}`);
    }
    if (shape.embedding % shape.heads !== 0 || (shape.embedding / shape.heads) % 2 !== 0)
        throw new InvalidOptionError(
            `options.shape.embedding (${shape.embedding}) must be an even multiple of options.shape.heads (${shape.heads}): the head size must be an even integer`
        );
    if (shape.heads % headsKv !== 0) throw new InvalidOptionError(`options.shape.headsKv (${headsKv}) must divide options.shape.heads (${shape.heads})`);
    return {embedding: shape.embedding, layers: shape.layers, heads: shape.heads, headsKv, feedForward: shape.feedForward};
}
