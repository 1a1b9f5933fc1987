import {getLlama, type LlamaModel, type Token} from "node-llama-cpp";
import {afterAll, beforeAll, expect, test} from "vitest";
import {SeededRandom} from "../../src/gguf/SeededRandom.js";
import {tokenLogprobsOf} from "../../src/engine/local/tokenLogprobsOf.js";
import {llama3VocabModel} from "../support/fixtures.js";

// The token texts a confidence is measured over must spell the answer exactly, whatever the tokens: with Llama 3's
// real 128k vocabulary, random token sequences split multi-byte characters over tokens and mix leading spaces.

let model: LlamaModel;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never"});
    model = await llama.loadModel({modelPath: await llama3VocabModel()});
}, 120_000);
afterAll(async () => {
    await model?.dispose();
});

test("the tokens' texts spell the detokenized answer, each character with the token that completes it", () => {
    const random = new SeededRandom(11);
    let split = 0;
    const ordinary = model.tokenize("Héllo wörld — naïve café, 日本語のテキスト ✓ 🙂 done");
    for (let round = 0; round < 20; round++) {
        // real text's tokens and random ones (byte-level pieces of characters among them)
        const tokens = [...ordinary.slice(0, 1 + Math.floor(random.nextFloat() * ordinary.length))];
        for (let i = 0; i < 30; i++) tokens.push(Math.floor(random.nextFloat() * 128_000) as Token);
        const pieces = tokenLogprobsOf(model, tokens, new Float32Array(tokens.length).fill(-1));
        expect(pieces).toHaveLength(tokens.length);
        const text = model.detokenize(tokens, false);
        expect(pieces.map((piece) => piece.text).join("")).toBe(text.replace(/\uFFFD+$/u, ""));
        expect(pieces.every((piece) => piece.logprob === -1)).toBe(true);
        split += pieces.filter((piece) => piece.text === "").length;
    }
    // some tokens did split a character (their text is empty; the token completing it carries it)
    expect(split).toBeGreaterThan(0);
});
