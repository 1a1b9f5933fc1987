import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {
    ChatMLChatWrapper,
    getLlama,
    LlamaChatSession,
    LlamaCompletion,
    LlamaLogLevel,
    readGgufFileInfo,
    resolveChatWrapper,
    TokenBias,
    type Llama,
    type LlamaModel,
    type Token
} from "node-llama-cpp";
import {writeLlamaGguf, type WriteLlamaGgufResult} from "../../src/gguf/writeLlamaGguf.js";
import {InvalidOptionError} from "../../src/AirlabelError.js";

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-"));
let llama: Llama;
let f16: WriteLlamaGgufResult;
let q8: WriteLlamaGgufResult;
let f16Model: LlamaModel;
let q8Model: LlamaModel;

beforeAll(async () => {
    f16 = await writeLlamaGguf({path: path.join(tempDir, "m-f16.gguf"), parameters: 1_000_000, type: "f16"});
    q8 = await writeLlamaGguf({path: path.join(tempDir, "m-q8.gguf"), parameters: 1_000_000, type: "q8_0", seed: 7});
    llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error});
    f16Model = await llama.loadModel({modelPath: f16.path});
    q8Model = await llama.loadModel({modelPath: q8.path});
});

afterAll(async () => {
    await f16Model?.dispose();
    await q8Model?.dispose();
    await llama?.dispose();
    fs.rmSync(tempDir, {recursive: true, force: true});
});

function sha256(filePath: string) {
    return crypto.createHash("sha256").update(fs.readFileSync(filePath)).digest("hex");
}

describe("writeLlamaGguf", () => {
    test("F16 and Q8_0 models load in node-llama-cpp with the reported shape and ~1M parameters", async () => {
        for (const [result, model, fileType] of [
            [f16, f16Model, 1],
            [q8, q8Model, 7]
        ] as const) {
            expect(Math.abs(result.parameters - 1_000_000) / 1_000_000).toBeLessThan(0.1);
            expect(fs.statSync(result.path).size).toBe(result.bytes);

            const info = await readGgufFileInfo(result.path, {logWarnings: false});
            const llamaMetadata = info.metadata.llama!;
            expect(info.metadata.general.architecture).toBe("llama");
            expect(info.metadata.general.file_type).toBe(fileType);
            expect(llamaMetadata.embedding_length).toBe(result.shape.embedding);
            expect(llamaMetadata.block_count).toBe(result.shape.layers);
            expect(llamaMetadata.attention.head_count).toBe(result.shape.heads);
            expect(llamaMetadata.attention.head_count_kv).toBe(result.shape.headsKv);
            expect(llamaMetadata.feed_forward_length).toBe(result.shape.feedForward);
            expect(llamaMetadata.context_length).toBe(4096);
            expect(info.metadata.tokenizer.ggml.tokens.length).toBe(result.shape.vocabulary);

            const tensorParameters = info.tensorInfo!.reduce(
                (sum, tensor) => sum + tensor.dimensions.reduce<number>((product, dim) => product * Number(dim), 1),
                0
            );
            expect(tensorParameters).toBe(result.parameters);

            expect(model.trainContextSize).toBe(4096);
            expect(model.fileInsights.totalLayers).toBe(result.shape.layers + 1);
        }
    });

    test("the same seed gives identical bytes, another seed different weights", async () => {
        const again = await writeLlamaGguf({path: path.join(tempDir, "again.gguf"), parameters: 1_000_000, type: "f16"});
        const otherSeed = await writeLlamaGguf({path: path.join(tempDir, "other.gguf"), parameters: 1_000_000, type: "f16", seed: 43});

        expect(sha256(again.path)).toBe(sha256(f16.path));
        expect(otherSeed.bytes).toBe(f16.bytes);
        expect(sha256(otherSeed.path)).not.toBe(sha256(f16.path));
    });

    test("writes atomically: replaces an existing file and leaves no temporary file behind", async () => {
        const target = path.join(tempDir, "atomic", "nested", "model.gguf");
        fs.mkdirSync(path.dirname(target), {recursive: true});
        fs.writeFileSync(target, "old contents");

        const result = await writeLlamaGguf({path: target, parameters: 200_000, type: "q8_0"});
        expect(result.path).toBe(target);
        expect(fs.readFileSync(target).subarray(0, 4).toString()).toBe("GGUF");
        expect(fs.readdirSync(path.dirname(target))).toEqual(["model.gguf"]);
    });

    test("any UTF-8 text tokenizes and detokenizes back to itself", () => {
        const texts = [
            "Hello, world! The quick brown fox jumps over the lazy dog.",
            "emoji 😀👍🏽👨‍👩‍👧 flags 🇯🇵",
            "CJK 漢字 かな カタカナ 한국어, Arabic مرحبا, Cyrillic Привет",
            "line one\nline two\r\n\ttabbed  double  spaces   ",
            " leading space and trailing ",
            "quotes \"double\" 'single' `back` «guillemets» „low“",
            '{"label": "pos", "escaped": "\\n\\u00e9"}',
            "<|im_start|>user\nnot special when tokenized as text<|im_end|> </s> <s> <unk>",
            "\u0000\u0001\u007f control bytes"
        ];

        for (const model of [f16Model, q8Model]) {
            for (const text of texts) {
                const tokens = model.tokenize(text);
                expect(model.detokenize(tokens)).toBe(text);
            }
        }
        expect(f16Model.tokenize("the answer").length).toBeLessThan("the answer".length);

        // the one exception, as in every SentencePiece llama vocabulary: U+2581 is how spaces are stored
        expect(f16Model.detokenize(f16Model.tokenize("a\u2581b"))).toBe("a b");
    });

    test("JSON-schema grammar generation produces a matching JSON answer", async () => {
        const grammar = await llama.createGrammarForJsonSchema({
            type: "object",
            properties: {label: {enum: ["pos", "neg"]}},
            required: ["label"]
        } as const);

        for (const model of [f16Model, q8Model]) {
            const context = await model.createContext({contextSize: 512, sequences: 1, threads: 1});
            try {
                const completion = new LlamaCompletion({contextSequence: context.getSequence()});
                const text = await completion.generateCompletion("Review: great product!\nLabel:", {maxTokens: 40, grammar});
                const parsed = grammar.parse(text);
                expect(["pos", "neg"]).toContain(parsed.label);
                expect(JSON.parse(text)).toEqual({label: parsed.label});
            } finally {
                await context.dispose();
            }
        }
    });

    test("the chat template resolves to ChatML, <|im_end|> is EOS, and chat generation stops", async () => {
        const wrapper = resolveChatWrapper(f16Model);
        expect(wrapper).toBeInstanceOf(ChatMLChatWrapper);

        const imEnd = f16Model.tokenize("<|im_end|>", true);
        expect(imEnd).toHaveLength(1);
        expect(f16Model.tokens.eos).toBe(imEnd[0]);
        expect(f16Model.isEogToken(imEnd[0]!)).toBe(true);

        const context = await f16Model.createContext({contextSize: 512, sequences: 1, threads: 1});
        try {
            const session = new LlamaChatSession({contextSequence: context.getSequence(), chatWrapper: wrapper});
            const free = await session.promptWithMeta("Say hello.", {maxTokens: 12, temperature: 0.8, seed: 1});
            expect(free.responseText.length).toBeGreaterThan(0);
            expect(free.responseText).not.toMatch(/<\|im_(start|end)\|>|\uFFFD/);
            expect(["maxTokens", "eogToken"]).toContain(free.stopReason);

            // every other token banned (bans on end-of-generation tokens are ignored), so the model must end its turn
            const onlyEnd = new TokenBias(f16Model.tokenizer);
            for (let token = 0; token < f16.shape.vocabulary; token++) onlyEnd.set(token as Token, "never");

            const ended = await session.promptWithMeta("Now stop.", {maxTokens: 12, tokenBias: onlyEnd});
            expect(ended.stopReason).toBe("eogToken");
            expect(ended.responseText).toBe("");
        } finally {
            await context.dispose();
        }
    });

    test("without a chat template there is no tokenizer.chat_template and </s> is EOS", async () => {
        const result = await writeLlamaGguf({path: path.join(tempDir, "nochat.gguf"), parameters: 200_000, chatTemplate: false, name: "plain"});
        const info = await readGgufFileInfo(result.path, {logWarnings: false});
        expect(info.metadata.tokenizer.chat_template).toBeUndefined();
        expect(info.metadata.general.name).toBe("plain");
        expect(info.metadata.tokenizer.ggml.tokens[info.metadata.tokenizer.ggml.eos_token_id!]).toBe("</s>");
    });

    test("rejects bad options with messages naming the option", async () => {
        const target = path.join(tempDir, "bad.gguf");
        await expect(writeLlamaGguf({path: target, parameters: 1000})).rejects.toThrow(InvalidOptionError);
        await expect(writeLlamaGguf({path: target, parameters: 1000})).rejects.toThrow(/options.parameters must be an integer from 150000/);
        await expect(writeLlamaGguf({path: target, parameters: 1_000_000, type: "q4" as "f16"})).rejects.toThrow(/options.type must be one of/);
        await expect(writeLlamaGguf({path: target, parameters: 1_000_000, seed: -1})).rejects.toThrow(/options.seed/);
        await expect(writeLlamaGguf({path: target, parameters: 1_000_000, contextLength: 0})).rejects.toThrow(/options.contextLength/);
        expect(fs.existsSync(target)).toBe(false);
    });
});
