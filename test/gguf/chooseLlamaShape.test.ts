import {describe, expect, test} from "vitest";
import {chooseLlamaShape, countLlamaParameters} from "../../src/gguf/chooseLlamaShape.js";
import {buildLlamaVocabulary} from "../../src/gguf/buildLlamaVocabulary.js";

const vocabulary = buildLlamaVocabulary().tokens.length;

describe("chooseLlamaShape", () => {
    test("lands within 10% of targets from 150K to 20B with a valid llama shape", () => {
        const targets = [
            150_000, 250_000, 1_000_000, 3_300_000, 10_000_000, 42_000_000, 85_000_000, 100_000_000, 350_000_000, 1_500_000_000, 7_000_000_000, 20_000_000_000
        ];

        for (const target of targets) {
            const shape = chooseLlamaShape(target, vocabulary, 2048);
            const count = countLlamaParameters(shape);
            expect(Math.abs(count - target) / target, `target ${target}`).toBeLessThan(0.1);

            expect(shape.embedding % 64).toBe(0);
            expect(shape.feedForward % 64).toBe(0); // Q8_0 needs rows in multiples of 32
            expect(shape.embedding % shape.heads).toBe(0);
            expect(shape.heads % shape.headsKv).toBe(0);
            expect(shape.layers).toBeGreaterThanOrEqual(1);
            expect(shape.vocabulary).toBe(vocabulary);
            expect(shape.contextLength).toBe(2048);
        }
    });

    test("bigger targets give wider and deeper models", () => {
        const small = chooseLlamaShape(10_000_000, vocabulary, 4096);
        const large = chooseLlamaShape(1_000_000_000, vocabulary, 4096);
        expect(large.embedding).toBeGreaterThan(small.embedding);
        expect(large.layers).toBeGreaterThan(small.layers);
    });
});

describe("buildLlamaVocabulary", () => {
    test("has the special, byte-fallback, ChatML and merge tokens, each once", () => {
        const built = buildLlamaVocabulary();
        expect(new Set(built.tokens).size).toBe(built.tokens.length);
        expect(built.tokens.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
        expect(built.tokens[3]).toBe("<0x00>");
        expect(built.tokens[3 + 0xff]).toBe("<0xFF>");
        expect(built.tokens.slice(3, 259).every((_, i) => built.tokenTypes[3 + i] === 6)).toBe(true);
        expect(built.tokens[built.imStartTokenId]).toBe("<|im_start|>");
        expect(built.tokens[built.imEndTokenId]).toBe("<|im_end|>");
        expect(built.tokenTypes[built.imEndTokenId]).toBe(3);
        expect(built.tokens).toContain("\u2581the");
        expect(built.tokens.length).toBeGreaterThan(600);
        expect(built.scores).toHaveLength(built.tokens.length);
    });
});
