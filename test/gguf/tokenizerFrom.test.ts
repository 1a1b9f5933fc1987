import fs from "node:fs";
import path from "node:path";
import {getLlama, LlamaLogLevel, readGgufFileInfo} from "node-llama-cpp";
import {describe, expect, test} from "vitest";
import {readGgufMetadata} from "../../src/gguf/readGgufMetadata.js";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";
import {llama3VocabFile, runCli, tempDir} from "../support/fixtures.js";

const texts = ["Hello world", "  leading spaces and ünïcödé, emoji 🙂 and numbers 1234567", '{"label": "positive", "confidence": 0.93}'];

describe("model create --tokenizer-from", () => {
    test("a model with Llama 3's real vocabulary tokenizes exactly like the vocabulary file, with GQA and tied embeddings", async () => {
        const dir = tempDir();
        const file = path.join(dir, "l3.gguf");
        const run = await runCli([
            "model",
            "create",
            "-o",
            file,
            "--shape",
            "256,2,8,2,512",
            "--tied-embeddings",
            "--tokenizer-from",
            llama3VocabFile,
            "--json"
        ]);
        expect(run.code, run.stderr).toBe(0);
        const result = JSON.parse(run.stdout) as {shape: Record<string, number>; parameters: number; tiedEmbeddings: boolean};
        expect(result.shape).toMatchObject({embedding: 256, layers: 2, heads: 8, headsKv: 2, feedForward: 512, vocabulary: 128256});
        expect(result.tiedEmbeddings).toBe(true);
        // tied: one 128256 x 256 matrix; blocks: norms, Q and O, K and V (2 of 8 heads), the FFN; the output norm
        expect(result.parameters).toBe(128256 * 256 + 256 + 2 * (2 * 256 + 2 * 256 * 256 + 2 * 256 * 64 + 3 * 256 * 512));
        expect(run.stderr).toContain("vocabulary 128256 from");

        const info = await readGgufFileInfo(file);
        expect(info.fullTensorInfo?.some((tensor) => tensor.name === "output.weight")).toBe(false);
        const source = await readGgufMetadata(llama3VocabFile);
        const copied = await readGgufMetadata(file);
        for (const [key, value] of source) if (key.startsWith("tokenizer.")) expect(copied.get(key), key).toEqual(value);

        const llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error});
        const vocabulary = await llama.loadModel({modelPath: llama3VocabFile, vocabOnly: true});
        const model = await llama.loadModel({modelPath: file});
        try {
            for (const text of texts) expect(model.tokenize(text), text).toEqual(vocabulary.tokenize(text));
            const context = await model.createContext({contextSize: 256});
            const sequence = context.getSequence();
            // it decodes: one generated token from the 128k vocabulary
            const tokens = model.tokenize("Hello");
            const generated = await sequence.evaluate(tokens, {temperature: 0}).next();
            expect(generated.value).toBeGreaterThanOrEqual(0);
            expect(generated.value).toBeLessThan(128256);
            await context.dispose();
        } finally {
            await model.dispose();
            await vocabulary.dispose();
        }
    });

    test("bad shapes and files that hold no tokenizer are refused in one line", async () => {
        const dir = tempDir();
        const bad = await runCli(["model", "create", "-o", path.join(dir, "x.gguf"), "--shape", "128,2,3,3,256"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr.trim()).toBe(
            "airlabel: options.shape.embedding (128) must be an even multiple of options.shape.heads (3): the head size must be an even integer"
        );
        const word = await runCli(["model", "create", "-o", path.join(dir, "x.gguf"), "--shape", "llama-7"]);
        expect(word.code).toBe(2);
        expect(word.stderr).toContain(
            "--shape must be a family (llama-3.2-1b, llama-3.2-3b, llama-3.1-8b, qwen2.5-0.5b, qwen2.5-1.5b) or width,layers,heads,kv-heads,ffn"
        );

        const notGguf = path.join(dir, "notes.gguf");
        fs.writeFileSync(notGguf, "not a model");
        const refused = await runCli(["model", "create", "-o", path.join(dir, "y.gguf"), "--shape", "128,1,4,4,256", "--tokenizer-from", notGguf]);
        expect(refused.code).toBe(1);
        expect(refused.stderr.trim()).toBe(`airlabel: ${notGguf}: not a GGUF file (no "GGUF" magic at the start); pass a .gguf model or vocabulary file`);
        expect(fs.existsSync(path.join(dir, "y.gguf"))).toBe(false);
    });

    test("a GGUF without tokenizer.ggml.tokens is named", async () => {
        const dir = tempDir();
        const file = path.join(dir, "src.gguf");
        await writeLlamaGguf({path: file, parameters: 150_000, type: "f32"});
        // drop the tokens key by rewriting its name in place (same length, so the file stays valid GGUF)
        const bytes = fs.readFileSync(file);
        const at = bytes.indexOf("tokenizer.ggml.tokens");
        bytes.write("tokenizer.ggml.tokenz", at);
        fs.writeFileSync(file, bytes);
        const run = await runCli(["model", "create", "-o", path.join(dir, "z.gguf"), "--shape", "128,1,4,4,256", "--tokenizer-from", file]);
        expect(run.code).toBe(1);
        expect(run.stderr.trim()).toBe(`airlabel: ${file}: has no tokenizer.ggml.tokens list; pass a GGUF model or vocabulary file that holds a tokenizer`);
    });
});
