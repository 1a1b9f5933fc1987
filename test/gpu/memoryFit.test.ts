import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {loadLlama} from "../../src/llama/loadLlama.js";
import {detectGpus} from "../../src/engine/local/placement/detectGpus.js";
import {fitMemory, memoryLimitFromEnv, MemoryFitError, type MemoryFitOptions} from "../../src/engine/local/placement/fitMemory.js";
import {jobFixture, runCli} from "../support/fixtures.js";

let model: string;
let dir: string;
let input: string;
let fitOptions: MemoryFitOptions;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture([{text: "hello"}, {text: "world"}]));
    const llama = await loadLlama("cpu");
    fitOptions = {
        llama,
        modelPath: model,
        detection: await detectGpus(llama),
        placements: [{}],
        gpuLayers: "auto",
        contextSize: 512,
        parallel: undefined,
        defaultParallel: 8
    };
});

describe("memory fit before loading (CPU: RAM)", () => {
    test("with room to spare the default parallel count is kept, and the estimate grows with sequences and replicas", async () => {
        const fit = await fitMemory(fitOptions);
        expect(fit).toMatchObject({parallel: 8, memory: "RAM", skipped: null});
        expect(fit.neededBytes).toBeLessThan(fit.availableBytes);
        const one = await fitMemory({...fitOptions, parallel: 1});
        const twoReplicas = await fitMemory({...fitOptions, parallel: 1, placements: [{}, {}]});
        expect(one.neededBytes).toBeLessThan(fit.neededBytes);
        expect(twoReplicas.neededBytes).toBeGreaterThan(one.neededBytes);
    });

    test("picks the largest parallel count that fits when the user did not set one", async () => {
        const three = (await fitMemory({...fitOptions, parallel: 3})).neededBytes;
        const four = (await fitMemory({...fitOptions, parallel: 4})).neededBytes;
        expect(four).toBeGreaterThan(three);
        const limitBytes = Math.floor((three + four) / 2);
        expect((await fitMemory({...fitOptions, limitBytes})).parallel).toBe(3);
        // a parallel count the user set is checked as given, not lowered
        await expect(fitMemory({...fitOptions, parallel: 4, limitBytes})).rejects.toThrow(/lower --parallel or use a smaller model$/u);
    });

    test("fails early with needed vs available when even one sequence does not fit", async () => {
        const error = await fitMemory({...fitOptions, limitBytes: 1024 * 1024}).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(MemoryFitError);
        expect((error as Error).message).toMatch(
            /^memory: the model and context need [\d.]+ MiB of RAM \(model [\d.]+ (MiB|KiB), context [\d.]+ (MiB|KiB) for 1 sequence x 512 tokens\) but 1\.0 MiB is allowed \(AIRLABEL_MEMORY_LIMIT\); lower --context-size \/ --max-tokens or use a smaller model$/u
        );
    });

    test("the CLI stops before loading with that one line (AIRLABEL_MEMORY_LIMIT)", async () => {
        const saved = process.env.AIRLABEL_MEMORY_LIMIT;
        process.env.AIRLABEL_MEMORY_LIMIT = "1MiB";
        try {
            const run = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "out"), "--gpu", "cpu", "--max-tokens", "8", "--quiet"]);
            expect(run.code).toBe(1);
            const lines = run.stderr.trim().split("\n");
            expect(lines.at(-1)).toMatch(
                /^airlabel: memory: the model and context need .* of RAM .* but 1\.0 MiB is allowed \(AIRLABEL_MEMORY_LIMIT\); lower --context-size \/ --max-tokens or use a smaller model$/u
            );
        } finally {
            if (saved === undefined) delete process.env.AIRLABEL_MEMORY_LIMIT;
            else process.env.AIRLABEL_MEMORY_LIMIT = saved;
        }
    });

    test("AIRLABEL_MEMORY_LIMIT takes bytes or binary units, and refuses anything else", () => {
        expect(memoryLimitFromEnv(undefined)).toBeUndefined();
        expect(memoryLimitFromEnv("4096")).toBe(4096);
        expect(memoryLimitFromEnv("1.5GiB")).toBe(1.5 * 1024 ** 3);
        expect(memoryLimitFromEnv("64 MiB")).toBe(64 * 1024 ** 2);
        expect(() => memoryLimitFromEnv("lots")).toThrow('AIRLABEL_MEMORY_LIMIT is "lots"; give bytes or a number with KiB, MiB, GiB or TiB (e.g. 8GiB)');
    });
});
