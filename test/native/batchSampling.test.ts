import type {LlamaContext, LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {batchSampling} from "../../src/engine/local/batchSampling.js";
import {loadLlama} from "../../src/llama/loadLlama.js";
import type {GenerationRequest} from "../../src/engine/local/GenerationRequest.js";
import {LockstepDriver} from "../../src/engine/local/LockstepDriver.js";
import {formatPrompt} from "../../src/llama/formatPrompt.js";
import {tokenizePrompt} from "../../src/llama/tokenizePrompt.js";
import {generatedModel} from "../support/fixtures.js";
import {patchedCpuBuild} from "../gpu/support.js";

type NativeSampling = {airlabelSampleTokens?: (...args: unknown[]) => Promise<unknown>};

describe.runIf(patchedCpuBuild)("one native sampling call per step (airlabelSampleTokens, decode-thread patch)", () => {
    let model: LlamaModel;
    beforeAll(async () => {
        model = await (await loadLlama("cpu")).loadModel({modelPath: await generatedModel()});
    });
    afterAll(async () => {
        await model.dispose();
    });

    /** Runs 6 requests through a 3-sequence driver; `batched: false` hides the native batch method as a stock addon would. */
    async function run(batched: boolean): Promise<{texts: string[]; batchCalls: number; largestBatch: number; sampled: number}> {
        const context: LlamaContext = await model.createContext({contextSize: 3 * 128, sequences: 3, threads: 1});
        const native = (context as unknown as {_ctx: NativeSampling})._ctx;
        let batchCalls = 0;
        let largestBatch = 0;
        if (batched) {
            const original = native.airlabelSampleTokens!.bind(native);
            Object.defineProperty(native, "airlabelSampleTokens", {
                value: (...args: unknown[]) => {
                    batchCalls++;
                    largestBatch = Math.max(largestBatch, (args[0] as number[]).length);
                    return original(...args);
                }
            });
        } else {
            Object.defineProperty(native, "airlabelSampleTokens", {value: undefined});
        }
        const grammar = await model.llama.createGrammar({grammar: 'root ::= "[" [0-9] ("," [0-9]){0,6} "]"'});
        const driver = new LockstepDriver({context});
        const request = (i: number): GenerationRequest => ({
            tokens: tokenizePrompt(model, formatPrompt(null, undefined, `row ${i}: the numbers are`)),
            maxTokens: 24,
            temperature: i % 2 === 0 ? 0 : 0.9,
            topP: 1,
            topK: 40,
            minP: 0,
            seed: 11 + i,
            repeatPenalty: 1,
            ...(i % 3 !== 2 ? {grammar} : {}),
            stopStrings: [],
            ignoreEos: false
        });
        try {
            const outputs = await Promise.all(Array.from({length: 6}, (_, i) => driver.generate(request(i))));
            return {
                texts: outputs.map((output) => output.text),
                batchCalls,
                largestBatch,
                sampled: outputs.reduce((sum, output) => sum + output.generatedTokens, 0)
            };
        } finally {
            driver.dispose();
            await context.dispose();
        }
    }

    test("the patched addon has it", async () => {
        const context = await model.createContext({contextSize: 128, threads: 1});
        try {
            expect(batchSampling(context)).toBe(true);
        } finally {
            await context.dispose();
        }
    });

    test("sequences sampled together get the tokens they get one call each (greedy, seeded, grammar-constrained), in far fewer calls", async () => {
        const single = await run(false);
        const batched = await run(true);
        expect(batched.texts).toEqual(single.texts);
        // the grammar rows are JSON-like number lists
        expect(batched.texts.filter((_, i) => i % 3 !== 2).every((text) => /^\[\d(,\d){0,6}\]$/u.test(text))).toBe(true);
        // every active sequence of a step in one call: all 3 while all 3 run
        expect(batched.largestBatch).toBe(3);
        expect(batched.batchCalls).toBeLessThan(batched.sampled);
        expect(single.batchCalls).toBe(0);
    });
});
