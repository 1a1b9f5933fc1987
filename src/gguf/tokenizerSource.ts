import {GgufReadError} from "./GgufReadError.js";
import type {GgufMetadataValue} from "./GgufWriter.js";
import {buildLlamaVocabulary, llamaTokenType, type LlamaVocabulary} from "./buildLlamaVocabulary.js";
import {chatMlTemplate} from "./chatMlTemplate.js";
import {readGgufMetadata} from "./readGgufMetadata.js";

/** The tokenizer a generated model is written with: its `tokenizer.*` metadata and what the weights need to know of it. */
export type TokenizerSource = {
    /** `tokenizer.*` metadata entries, written as they are. */
    entries: [string, GgufMetadataValue][];
    /** Number of tokens (`llama.vocab_size`, the rows of the embedding and output matrices). */
    size: number;
    /** Tokens a random model should rarely generate (their output rows are lowered). */
    unwantedTokenIds: ReadonlySet<number>;
    /** Where the tokenizer came from: "airlabel" or the GGUF file's path. */
    origin: string;
};

/**
 * airlabel's own byte-fallback SentencePiece vocabulary (906 tokens), with a ChatML template when `chatTemplate`.
 */
export function airlabelTokenizer(chatTemplate: boolean): TokenizerSource {
    const vocabulary = buildLlamaVocabulary();
    const eosTokenId = chatTemplate ? vocabulary.imEndTokenId : vocabulary.endOfTextTokenId;
    const entries: [string, GgufMetadataValue][] = [
        ["tokenizer.ggml.model", {type: "string", value: "llama"}],
        ["tokenizer.ggml.tokens", {type: "array", itemType: "string", values: vocabulary.tokens}],
        ["tokenizer.ggml.scores", {type: "array", itemType: "float32", values: vocabulary.scores}],
        ["tokenizer.ggml.token_type", {type: "array", itemType: "int32", values: vocabulary.tokenTypes}],
        ["tokenizer.ggml.bos_token_id", {type: "uint32", value: vocabulary.bosTokenId}],
        ["tokenizer.ggml.eos_token_id", {type: "uint32", value: eosTokenId}],
        ["tokenizer.ggml.eot_token_id", {type: "uint32", value: vocabulary.imEndTokenId}],
        ["tokenizer.ggml.unknown_token_id", {type: "uint32", value: vocabulary.unknownTokenId}],
        ["tokenizer.ggml.add_bos_token", {type: "bool", value: true}],
        ["tokenizer.ggml.add_eos_token", {type: "bool", value: false}],
        ["tokenizer.ggml.add_space_prefix", {type: "bool", value: false}]
    ];
    if (chatTemplate) entries.push(["tokenizer.chat_template", {type: "string", value: chatMlTemplate}]);
    return {entries, size: vocabulary.tokens.length, unwantedTokenIds: airlabelUnwantedTokenIds(vocabulary), origin: "airlabel"};
}

/**
 * The tokenizer of another GGUF file: every `tokenizer.*` key copied with its exact type (a real model, or one of
 * the vocabulary files llama.cpp ships, such as `ggml-vocab-llama-bpe.gguf`: Llama 3's 128,256 tokens). Its chat
 * template comes along when the file has one; `chatTemplate: false` leaves it out.
 */
export async function copiedTokenizer(filePath: string, chatTemplate: boolean): Promise<TokenizerSource> {
    const metadata = await readGgufMetadata(filePath);
    const tokens = metadata.get("tokenizer.ggml.tokens");
    if (tokens === undefined || tokens.type !== "array" || tokens.itemType !== "string" || tokens.values.length === 0)
        throw new GgufReadError(`${filePath}: has no tokenizer.ggml.tokens list; pass a GGUF model or vocabulary file that holds a tokenizer`);
    const entries = [...metadata].filter(([key]) => key.startsWith("tokenizer.") && (chatTemplate || key !== "tokenizer.chat_template"));
    const types = metadata.get("tokenizer.ggml.token_type");
    const kept = new Set(["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"].map((key) => numberOf(metadata.get(key))));
    const unwanted = new Set<number>();
    if (types?.type === "array") {
        types.values.forEach((type, id) => {
            if ((type === llamaTokenType.control || type === llamaTokenType.unknown || type === llamaTokenType.unused) && !kept.has(id)) unwanted.add(id);
        });
    }
    return {entries, size: tokens.values.length, unwantedTokenIds: unwanted, origin: filePath};
}

function numberOf(value: GgufMetadataValue | undefined): number | undefined {
    return value !== undefined && value.type !== "array" && value.type !== "string" && value.type !== "bool" ? Number(value.value) : undefined;
}

/** Tokens of airlabel's vocabulary a random model should rarely generate: see writeLlamaGguf's bias channel. */
function airlabelUnwantedTokenIds(vocabulary: LlamaVocabulary): Set<number> {
    const unwanted = new Set([vocabulary.unknownTokenId, vocabulary.bosTokenId, vocabulary.imStartTokenId]);
    const byteToken = /^<0x([0-9A-F]{2})>$/;
    vocabulary.tokens.forEach((token, id) => {
        const match = byteToken.exec(token);
        if (match == null || vocabulary.tokenTypes[id] !== llamaTokenType.byte) return;

        const byte = parseInt(match[1]!, 16);
        if (byte >= 0x80 || byte === 0x7f || (byte < 0x20 && byte !== 0x09 && byte !== 0x0a)) unwanted.add(id);
    });

    return unwanted;
}
