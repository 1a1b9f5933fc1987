import os from "node:os";
import {LlamaCompletion, type LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {hasDecodeThread} from "../../src/llama/decodeThreadSupport.js";
import {loadLlama} from "../../src/llama/loadLlama.js";
import {defaultThreads} from "../../src/engine/local/localWorker.js";
import {generatedModel} from "../support/fixtures.js";
import {patchedCpuBuild} from "../gpu/support.js";

const prompts = ["The quick brown fox", "Once upon a time", "row 3: a river and a stone", "Numbers: 1, 2, 3,"];

describe.runIf(patchedCpuBuild)("the decode-thread patch (each context decodes and samples on a thread of its own)", () => {
    let model: LlamaModel;
    beforeAll(async () => {
        const llama = await loadLlama("cpu");
        model = await llama.loadModel({modelPath: await generatedModel()});
    });
    afterAll(async () => {
        await model.dispose();
    });

    async function answer(prompt: string, threads: number): Promise<string> {
        const context = await model.createContext({contextSize: 256, threads});
        try {
            return await new LlamaCompletion({contextSequence: context.getSequence()}).generateCompletion(prompt, {maxTokens: 12, temperature: 0.8, seed: 7});
        } finally {
            await context.dispose();
        }
    }

    test("the build says so", async () => {
        expect(hasDecodeThread(await loadLlama("cpu"))).toBe(true);
    });

    test("contexts decoding at the same time, each on its own thread, answer as they do one at a time", async () => {
        const alone: string[] = [];
        for (const prompt of prompts) alone.push(await answer(prompt, 1));
        expect(new Set(alone).size).toBeGreaterThan(1);
        expect(await Promise.all(prompts.map((prompt) => answer(prompt, 1)))).toEqual(alone);
    });

    test("a disposed context's thread is stopped and disposing twice is safe; later contexts start their own", async () => {
        const context = await model.createContext({contextSize: 256, threads: 1});
        const first = await new LlamaCompletion({contextSequence: context.getSequence()}).generateCompletion(prompts[0]!, {
            maxTokens: 12,
            temperature: 0.8,
            seed: 7
        });
        await context.dispose();
        await context.dispose();
        expect(context.disposed).toBe(true);
        expect(await answer(prompts[0]!, 1)).toBe(first);
    });
});

test("default llama.cpp threads: every core of a worker's share with the decode thread, one core left for a single sequence without it", () => {
    const cores = os.availableParallelism();
    expect(defaultThreads(1, 1, true)).toBe(cores);
    expect(defaultThreads(1, 32, true)).toBe(cores);
    expect(defaultThreads(1, 1, false)).toBe(Math.max(1, cores - 1));
    expect(defaultThreads(1, 8, false)).toBe(cores);
    expect(defaultThreads(cores * 2, 8, true)).toBe(1);
});
