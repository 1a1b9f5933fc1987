import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import {InvalidOptionError} from "../AirlabelError.js";
import {fsyncDir} from "../files/durableFs.js";
import {GgufWriter, type GgufTensorType} from "./GgufWriter.js";
import {GgufWriteError} from "./GgufWriteError.js";
import {SeededRandom} from "./SeededRandom.js";
import {chooseLlamaShape, countLlamaParameters, type LlamaShape} from "./chooseLlamaShape.js";
import {checkExplicitShape, type ExplicitLlamaShape} from "./checkExplicitShape.js";
import {airlabelTokenizer, copiedTokenizer} from "./tokenizerSource.js";

/** Storage type of a generated model's weight matrices (norms are always F32). */
export type LlamaGgufType = "f32" | "f16" | "q8_0";

export type WriteLlamaGgufOptions = {
    /** Where to write the `.gguf` file; its folder is created if missing, an existing file is replaced atomically. */
    path: string;
    /**
     * Target total parameter count, 150K to 20B; the real count lands within a few percent (see `chooseLlamaShape`).
     * Required unless `shape` is given.
     */
    parameters?: number;
    /** Storage type of the weight matrices. Defaults to "f16". */
    type?: LlamaGgufType;
    /** Seed of the weights; the same seed and options give a byte-identical file. Defaults to 42. */
    seed?: number;
    /** Training context length written to `llama.context_length`. Defaults to 4096. */
    contextLength?: number;
    /** Whether to embed a ChatML Jinja template in `tokenizer.chat_template` (and make `<|im_end|>` the EOS). Defaults to true. */
    chatTemplate?: boolean;
    /** `general.name` of the model. Defaults to `airlabel-random-<parameters>-<type>-s<seed>`. */
    name?: string;
    /**
     * A GGUF file (model or llama.cpp vocabulary file, such as `ggml-vocab-llama-bpe.gguf`) whose tokenizer the model
     * gets: every `tokenizer.*` key, copied exactly (its chat template too, unless `chatTemplate` is false). Defaults
     * to airlabel's own 906-token byte-fallback vocabulary with ChatML.
     */
    tokenizerFrom?: string;
    /**
     * An exact shape instead of one derived from `parameters` (which is then ignored): width, layers, heads, key/value
     * heads (fewer than heads: grouped-query attention) and FFN length. Defaults to the shape `chooseLlamaShape` picks.
     */
    shape?: ExplicitLlamaShape;
    /** Leave out `output.weight`, so the output projection is the token embedding (tied embeddings). Defaults to false. */
    tiedEmbeddings?: boolean;
};

export type WriteLlamaGgufResult = {
    /** The written file. */
    path: string;
    /** Exact parameter count of the written model. */
    parameters: number;
    /** File size in bytes. */
    bytes: number;
    shape: LlamaShape;
    type: LlamaGgufType;
    /** Where the tokenizer came from: "airlabel" or the `tokenizerFrom` file. */
    tokenizer: string;
    tiedEmbeddings: boolean;
};

/** Smallest accepted target parameter count (a 64-wide, 1-layer model). */
export const minGeneratedParameters = 150_000;
/** Largest accepted target parameter count. */
export const maxGeneratedParameters = 20_000_000_000;

const weightStandardDeviation = 0.02;
const chunkValues = 1 << 20;

const ggufTensorTypes: Record<LlamaGgufType, GgufTensorType> = {f32: "F32", f16: "F16", q8_0: "Q8_0"};
const llamaFileTypes: Record<LlamaGgufType, number> = {f32: 0, f16: 1, q8_0: 7}; // LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_Q8_0

/**
 * Writes a llama-architecture GGUF model with deterministic random weights (normal, std 0.02; norms 1.0)
 * and airlabel's byte-fallback SentencePiece vocabulary or a real one copied from another GGUF, for tests, demos and benchmarks where no real
 * model can be downloaded. Its outputs are meaningless, but it loads, tokenizes any UTF-8 text, follows
 * grammars and chat templates like a real model of the same size.
 *
 * Streams tensor data (memory stays small for any size) into a temporary file next to `path`,
 * fsyncs it and renames it into place.
 */
export async function writeLlamaGguf(options: WriteLlamaGgufOptions): Promise<WriteLlamaGgufResult> {
    const {parameters: targetParameters = 0, type = "f16", seed = 42, contextLength = 4096, chatTemplate = true} = options;

    if (typeof options.path !== "string" || options.path.length === 0)
        throw new InvalidOptionError("options.path must be a non-empty file path such as models/test.gguf");
    if (
        options.shape === undefined &&
        (!Number.isSafeInteger(targetParameters) || targetParameters < minGeneratedParameters || targetParameters > maxGeneratedParameters)
    )
        throw new InvalidOptionError(
            `options.parameters must be an integer from ${minGeneratedParameters} to ${maxGeneratedParameters}, got ${targetParameters}`
        );
    if (!Object.hasOwn(ggufTensorTypes, type)) throw new InvalidOptionError(`options.type must be one of f16, q8_0, f32, got ${JSON.stringify(type)}`);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidOptionError(`options.seed must be a non-negative integer, got ${seed}`);
    if (!Number.isSafeInteger(contextLength) || contextLength <= 0 || contextLength > 0xffffffff)
        throw new InvalidOptionError(`options.contextLength must be a positive integer, got ${contextLength}`);

    const tokenizer = options.tokenizerFrom !== undefined ? await copiedTokenizer(options.tokenizerFrom, chatTemplate) : airlabelTokenizer(chatTemplate);
    const tiedEmbeddings = options.tiedEmbeddings ?? false;
    const shape =
        options.shape !== undefined
            ? {...checkExplicitShape(options.shape), vocabulary: tokenizer.size, contextLength}
            : chooseLlamaShape(targetParameters, tokenizer.size, contextLength);
    const parameters = countLlamaParameters(shape) - (tiedEmbeddings ? shape.vocabulary * shape.embedding : 0);
    const name = options.name ?? `airlabel-random-${options.shape !== undefined ? parameters : targetParameters}-${type}-s${seed}`;
    const targetPath = path.resolve(options.path);
    const tempPath = path.join(path.dirname(targetPath), `.${path.basename(targetPath)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);

    await fs.mkdir(path.dirname(targetPath), {recursive: true});
    const handle = await openForWriting(tempPath);
    let bytes: number;
    try {
        const writer = new GgufWriter({handle, path: targetPath});
        const weightType = ggufTensorTypes[type];
        const headSize = shape.embedding / shape.heads;

        writer
            .setMetadata("general.architecture", {type: "string", value: "llama"})
            .setMetadata("general.type", {type: "string", value: "model"})
            .setMetadata("general.name", {type: "string", value: name})
            .setMetadata("general.description", {
                type: "string",
                value: `Random-weight llama model (seed ${seed}) generated by airlabel for tests, demos and benchmarks; its outputs are meaningless`
            })
            .setMetadata("general.file_type", {type: "uint32", value: llamaFileTypes[type]})
            .setMetadata("general.quantization_version", {type: "uint32", value: 2})
            .setMetadata("general.alignment", {type: "uint32", value: writer.alignment})
            .setMetadata("llama.vocab_size", {type: "uint32", value: shape.vocabulary})
            .setMetadata("llama.context_length", {type: "uint32", value: shape.contextLength})
            .setMetadata("llama.embedding_length", {type: "uint32", value: shape.embedding})
            .setMetadata("llama.block_count", {type: "uint32", value: shape.layers})
            .setMetadata("llama.feed_forward_length", {type: "uint32", value: shape.feedForward})
            .setMetadata("llama.rope.dimension_count", {type: "uint32", value: headSize})
            .setMetadata("llama.rope.freq_base", {type: "float32", value: 10_000})
            .setMetadata("llama.attention.head_count", {type: "uint32", value: shape.heads})
            .setMetadata("llama.attention.head_count_kv", {type: "uint32", value: shape.headsKv})
            .setMetadata("llama.attention.layer_norm_rms_epsilon", {type: "float32", value: 1e-5});
        for (const [key, value] of tokenizer.entries) writer.setMetadata(key, value);

        const tensors = llamaTensors(shape, weightType, tokenizer.unwantedTokenIds, tiedEmbeddings);
        for (const tensor of tensors) writer.addTensor(tensor);

        await writer.writeHeader();
        for (const tensor of tensors) await writer.writeTensorData(tensor.name, tensorValues(tensor, seed));

        bytes = await writer.finish();
        await handle.sync();
    } catch (err) {
        await handle.close().catch(() => {});
        await fs.rm(tempPath, {force: true}).catch(() => {});
        throw err;
    }

    await handle.close();
    try {
        await fs.rename(tempPath, targetPath);
    } catch (err) {
        await fs.rm(tempPath, {force: true}).catch(() => {});
        throw new GgufWriteError(`${targetPath}: cannot move the finished model into place (${(err as Error).message}); check the folder's permissions`, {
            cause: err
        });
    }
    // best effort: the rename itself already happened
    await fsyncDir(path.dirname(targetPath)).catch(() => undefined);

    return {path: targetPath, parameters, bytes, shape, type, tokenizer: tokenizer.origin, tiedEmbeddings};
}

type LlamaTensor = {
    name: string;
    shape: number[];
    type: GgufTensorType;
    init: "normal" | "ones";
    /** Overrides some of the generated values; `offset` is the index of `chunk[0]` in the tensor. */
    adjust?: (chunk: Float32Array, offset: number) => void;
};

/**
 * Random weights make a model emit every token about equally often, and a lone byte-fallback token
 * (`<0x80>`..`<0xFF>`) is an incomplete UTF-8 sequence: node-llama-cpp holds back all text after one
 * until it completes, so a plain random model often answers "". To keep generated text readable,
 * embedding dimension 0 is a constant "bias channel": every token embedding has `biasChannelValue` there,
 * no block writes to it (row 0 of `attn_output`/`ffn_down` is zero), and the output rows of tokens that
 * should not be generated (`<unk>`, `<s>`, `<|im_start|>`, control and non-ASCII bytes) get
 * `-unwantedTokenPenalty` in it, which lowers their logits by several units.
 */
const biasChannelValue = 1;
const unwantedTokenPenalty = 2;

function llamaTensors(shape: LlamaShape, weightType: GgufTensorType, unwantedTokenIds: ReadonlySet<number>, tiedEmbeddings: boolean): LlamaTensor[] {
    const {embedding: e, feedForward: f, vocabulary: v} = shape;
    const kvDim = (e / shape.heads) * shape.headsKv;
    const matrix = (name: string, columns: number, rows: number, adjust?: LlamaTensor["adjust"]): LlamaTensor => ({
        name,
        shape: [columns, rows],
        type: weightType,
        init: "normal",
        adjust
    });
    const norm = (name: string): LlamaTensor => ({name, shape: [e], type: "F32", init: "ones"});

    // row r of a [columns, rows] tensor is values [r * columns, (r + 1) * columns)
    const setFirstColumn = (columns: number, value: (row: number) => number | undefined) => (chunk: Float32Array, offset: number) => {
        for (let index = Math.ceil(offset / columns) * columns; index < offset + chunk.length; index += columns) {
            const newValue = value(index / columns);
            if (newValue != null) chunk[index - offset] = newValue;
        }
    };
    const zeroFirstRow = (columns: number) => (chunk: Float32Array, offset: number) => {
        if (offset < columns) chunk.fill(0, 0, Math.min(chunk.length, columns - offset));
    };

    // the output rows of unwanted tokens get -unwantedTokenPenalty in the bias channel; tied, the embedding is those rows
    const outputBias = (token: number): number | undefined => (unwantedTokenIds.has(token) ? -unwantedTokenPenalty : undefined);
    const embeddingBias = tiedEmbeddings ? (token: number) => outputBias(token) ?? biasChannelValue : () => biasChannelValue;
    const tensors: LlamaTensor[] = [matrix("token_embd.weight", e, v, setFirstColumn(e, embeddingBias))];
    for (let layer = 0; layer < shape.layers; layer++) {
        const prefix = `blk.${layer}.`;
        tensors.push(
            norm(prefix + "attn_norm.weight"),
            matrix(prefix + "attn_q.weight", e, e),
            matrix(prefix + "attn_k.weight", e, kvDim),
            matrix(prefix + "attn_v.weight", e, kvDim),
            matrix(prefix + "attn_output.weight", e, e, zeroFirstRow(e)),
            norm(prefix + "ffn_norm.weight"),
            matrix(prefix + "ffn_gate.weight", e, f),
            matrix(prefix + "ffn_up.weight", e, f),
            matrix(prefix + "ffn_down.weight", f, e, zeroFirstRow(f))
        );
    }
    tensors.push(norm("output_norm.weight"));
    if (!tiedEmbeddings) tensors.push(matrix("output.weight", e, v, setFirstColumn(e, outputBias)));

    return tensors;
}

/** The tensor's values in chunks of up to 1M floats, reusing one buffer (the writer consumes each chunk before the next). */
function* tensorValues(tensor: LlamaTensor, seed: number): Generator<Float32Array> {
    const total = tensor.shape.reduce((product, dim) => product * dim, 1);
    const buffer = new Float32Array(Math.min(total, chunkValues));

    if (tensor.init === "ones") {
        buffer.fill(1);
        for (let done = 0; done < total; done += buffer.length) yield buffer.subarray(0, Math.min(buffer.length, total - done));

        return;
    }

    const random = new SeededRandom(seed, tensor.name);
    for (let done = 0; done < total; done += buffer.length) {
        const chunk = buffer.subarray(0, Math.min(buffer.length, total - done));
        random.fillNormal(chunk, weightStandardDeviation);
        tensor.adjust?.(chunk, done);
        yield chunk;
    }
}

async function openForWriting(filePath: string) {
    try {
        return await fs.open(filePath, "wx");
    } catch (err) {
        throw new GgufWriteError(`${filePath}: cannot create the model file (${(err as Error).message}); check that the folder is writable`, {cause: err});
    }
}
