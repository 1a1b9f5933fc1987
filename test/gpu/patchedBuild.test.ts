import path from "node:path";
import {LlamaCompletion} from "node-llama-cpp";
import {beforeAll, describe, expect, test} from "vitest";
import {loadLlama} from "../../src/llama/loadLlama.js";
import {loadPlacedModel} from "../../src/engine/local/placement/loadPlacedModel.js";
import {placementSupport} from "../../src/engine/local/placement/placementSupport.js";
import type {WorkerPlacement} from "../../src/options/PlacementRequest.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {jobFixture} from "../support/fixtures.js";
import {patchedCpuBuild} from "./support.js";

const rows = Array.from({length: 6}, (_, i) => ({text: `row ${i}: the quick brown fox`}));
let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
});

async function complete(placement: WorkerPlacement): Promise<string> {
    const llama = await loadLlama("cpu");
    const loaded = await loadPlacedModel(llama, {modelPath: model, gpuLayers: 0, placement});
    try {
        const context = await loaded.createContext({contextSize: 256});
        const text = await new LlamaCompletion({contextSequence: context.getSequence()}).generateCompletion("The quick brown fox", {
            maxTokens: 8,
            temperature: 0
        });
        await context.dispose();
        return text;
    } finally {
        await loaded.dispose();
    }
}

describe.runIf(patchedCpuBuild)("the patched CPU build (npm run build:native -- --gpu cpu)", () => {
    test("says it is patched, and which placement options it reads", async () => {
        expect(placementSupport(await loadLlama("cpu"))).toMatchObject({patch: 1, options: ["splitMode", "tensorSplit", "mainGpu", "devices"], devices: []});
    });

    test("loads a model with splitMode none / layer and mainGpu 0 and answers as without them", async () => {
        const plain = await complete({});
        expect(plain.length).toBeGreaterThan(0);
        expect(await complete({splitMode: "none", mainGpu: 0})).toBe(plain);
        expect(await complete({splitMode: "layer"})).toBe(plain);
    });

    test("the addon reads the extra keys itself: bad values are refused by the C++ side", async () => {
        const llama = await loadLlama("cpu");
        await expect(loadPlacedModel(llama, {modelPath: model, gpuLayers: 0, placement: {splitMode: "diagonal" as "row"}})).rejects.toThrow(
            'splitMode must be "none", "layer" or "row"'
        );
        await expect(loadPlacedModel(llama, {modelPath: model, gpuLayers: 0, placement: {tensorSplit: Array.from({length: 300}, () => 1)}})).rejects.toThrow(
            /tensorSplit has more entries than llama\.cpp's device limit/u
        );
        await expect(loadPlacedModel(llama, {modelPath: model, gpuLayers: 0, placement: {devices: ["CUDA0"]}})).rejects.toThrow(
            'unknown llama.cpp device "CUDA0"'
        );
        // (llama.cpp itself ignores main_gpu when it has no GPU, which is why resolvePlacement refuses mainGpu > 0 on CPU)
    });

    test("a run with --split-mode none --main-gpu 0 on CPU writes the same rows as one without", async () => {
        const base = {input, model, template: "{text}", maxTokens: 8, parallel: 2, gpu: "cpu" as const};
        const logs: string[] = [];
        const placed = await annotate({...base, output: path.join(dir, "placed"), splitMode: "none", mainGpu: 0, onLog: (line) => logs.push(line)});
        const plain = await annotate({...base, output: path.join(dir, "plain")});
        expect(placed).toMatchObject({okRows: 6, complete: true});
        expect(plain).toMatchObject({okRows: 6, complete: true});
        const byIdx = (records: Record<string, unknown>[]) => [...records].sort((a, b) => (a.idx as number) - (b.idx as number));
        expect(byIdx((await readOutput(path.join(dir, "placed"))).rows)).toEqual(byIdx((await readOutput(path.join(dir, "plain"))).rows));
        expect(logs).toContain("placement: 1 replica, split none, main GPU 0");
    });
});
