import type {LlamaContext, LlamaContextSequence, LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import type {GenerationRequest} from "../../src/engine/local/GenerationRequest.js";
import {LockstepDriver} from "../../src/engine/local/LockstepDriver.js";
import {NativeStepDriver} from "../../src/engine/local/NativeStepDriver.js";
import {loadLlama} from "../../src/llama/loadLlama.js";
import {generatedModel} from "../support/fixtures.js";

let model: LlamaModel;
let context: LlamaContext;
beforeAll(async () => {
    const llama = await loadLlama("cpu");
    model = await llama.loadModel({modelPath: await generatedModel()});
    context = await model.createContext({contextSize: 512, sequences: 2, threads: 1});
});
afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
});

function request(tokens: number[], seed: number): GenerationRequest {
    return {
        tokens: tokens as GenerationRequest["tokens"],
        maxTokens: 4,
        temperature: 0.8,
        topP: 1,
        topK: 0,
        minP: 0,
        seed,
        repeatPenalty: 1,
        stopStrings: [],
        ignoreEos: true
    };
}

describe("LockstepDriver prompt-prefix reuse, counted by node-llama-cpp's own token meter", () => {
    test("rows sharing a prefix evaluate it once per sequence; the driver's count matches the sequences' meters", async () => {
        const driver = new LockstepDriver({context});
        // the driver owns every sequence of the context; read their meters (node-llama-cpp's count of evaluated input)
        const sequences = [...(driver as unknown as {_order: Map<LlamaContextSequence, number>})._order.keys()];
        expect(sequences.length).toBe(2);
        const prefix = model.tokenize("Follow these rules when you write: be brief, be kind. ".repeat(3));
        const words = ["cat", "dog", "sea", "sun", "tree", "rain", "hill", "road"];
        const outputs = await Promise.all(words.map((word, i) => driver.generate(request([...prefix, ...model.tokenize(` about the ${word}`)], i))));
        const evaluated = outputs.reduce((sum, o) => sum + o.evaluatedPromptTokens, 0);
        const metered = sequences.reduce((sum, s) => sum + s.tokenMeter.usedInputTokens, 0);
        // node-llama-cpp meters a request's last prompt token with its first generated one, so one less per request
        expect(metered).toBe(evaluated - words.length);
        // the prefix went through each of the 2 sequences once; the other 6 rows evaluated only their own words
        expect(evaluated).toBeGreaterThanOrEqual(2 * prefix.length);
        expect(evaluated).toBeLessThan(3 * prefix.length);
        driver.dispose();
    });

    test("the native decode loop keeps the same prefixes (the same count) and gives the same texts", async () => {
        const prefix = model.tokenize("Follow these rules when you write: be brief, be kind. ".repeat(3));
        const words = ["cat", "dog", "sea", "sun", "tree", "rain", "hill", "road"];
        const generateAll = async (driver: LockstepDriver | NativeStepDriver) => {
            const outputs = await Promise.all(words.map((word, i) => driver.generate(request([...prefix, ...model.tokenize(` about the ${word}`)], i))));
            driver.dispose();
            return outputs;
        };
        // each driver owns every sequence of a context of its own
        const withContext = async <T>(use: (context: LlamaContext) => Promise<T>): Promise<T> => {
            const fresh = await model.createContext({contextSize: 512, sequences: 2, threads: 1});
            try {
                return await use(fresh);
            } finally {
                await fresh.dispose();
            }
        };
        const lockstep = await withContext((fresh) => generateAll(new LockstepDriver({context: fresh})));
        // (without shared prefixes, which JavaScript's loop does not have: it would evaluate the prefix once, not twice)
        const native = await withContext((fresh) => generateAll(new NativeStepDriver({context: fresh, sharePrefix: false})));
        expect(native.map((o) => o.text)).toEqual(lockstep.map((o) => o.text));
        expect(native.map((o) => o.evaluatedPromptTokens)).toEqual(lockstep.map((o) => o.evaluatedPromptTokens));
        expect(native.reduce((sum, o) => sum + o.evaluatedPromptTokens, 0)).toBeLessThan(3 * prefix.length);
    });
});
