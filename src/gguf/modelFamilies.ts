import type {ExplicitLlamaShape} from "./checkExplicitShape.js";

/** A published model's transformer shape (from its config.json), for `writeLlamaGguf`'s `shape`. */
export type ModelFamily = {shape: Required<ExplicitLlamaShape>; tiedEmbeddings: boolean; description: string};

/**
 * Shapes of real model families, so a random-weight model costs what the real one costs per token (pair one with
 * the family's tokenizer: `tokenizerFrom`). Weights stay random: answers are meaningless.
 */
export const modelFamilies: Readonly<Record<string, ModelFamily>> = {
    "llama-3.2-1b": {shape: {embedding: 2048, layers: 16, heads: 32, headsKv: 8, feedForward: 8192}, tiedEmbeddings: true, description: "Llama 3.2 1B"},
    "llama-3.2-3b": {shape: {embedding: 3072, layers: 28, heads: 24, headsKv: 8, feedForward: 8192}, tiedEmbeddings: true, description: "Llama 3.2 3B"},
    "llama-3.1-8b": {shape: {embedding: 4096, layers: 32, heads: 32, headsKv: 8, feedForward: 14336}, tiedEmbeddings: false, description: "Llama 3.1 8B"},
    "qwen2.5-0.5b": {
        shape: {embedding: 896, layers: 24, heads: 14, headsKv: 2, feedForward: 4864},
        tiedEmbeddings: true,
        description: "Qwen2.5 0.5B (as a llama: no attention biases)"
    },
    "qwen2.5-1.5b": {
        shape: {embedding: 1536, layers: 28, heads: 12, headsKv: 2, feedForward: 8960},
        tiedEmbeddings: true,
        description: "Qwen2.5 1.5B (as a llama: no attention biases)"
    }
};
