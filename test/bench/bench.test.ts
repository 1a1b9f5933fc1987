import fs from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {describe, expect, test} from "vitest";
import {syntheticPrompts} from "../../src/bench/syntheticPrompts.js";
import {formatPrompt} from "../../src/llama/formatPrompt.js";
import {tokenizePrompt} from "../../src/llama/tokenizePrompt.js";
import {generatedModel, runCli, storiesModel} from "../support/fixtures.js";

type BenchRow = {
    parallel: number;
    rows: number;
    promptTokens: number;
    generatedTokens: number;
    seconds: number;
    promptTokensPerSecond: number;
    generatedTokensPerSecond: number;
    totalTokensPerSecond: number;
    rowsPerSecond: number;
    timeToFirstTokenMs: number;
    peakRssMiB: number;
    schema: boolean;
    engine: string;
    steps: {
        steps: number;
        sequencesPerStep: number;
        stepMs: number;
        decodeMs: number;
        samplingMs: number;
        jsMs: number;
        hostMs: number;
        hostUsPerSequence: number;
        native: boolean;
    };
};

describe("airlabel bench", () => {
    test("runs the real path and reports exact token counts and consistent rates per setting", async () => {
        const model = await generatedModel();
        const run = await runCli([
            "bench",
            "-m",
            model,
            "--parallel",
            "1,3",
            "--prompt-tokens",
            "20",
            "--gen-tokens",
            "12",
            "--waves",
            "2",
            "--threads",
            "1",
            "--json"
        ]);
        expect(run.code, run.stderr).toBe(0);
        const results = JSON.parse(run.stdout) as BenchRow[];
        expect(results.map((r) => r.parallel)).toEqual([1, 3]);
        for (const r of results) {
            expect(r.rows).toBe(r.parallel * 2);
            expect(r.promptTokens).toBe(r.rows * 20);
            expect(r.generatedTokens).toBe(r.rows * 12);
            expect(r.seconds).toBeGreaterThan(0);
            expect(r.totalTokensPerSecond).toBeCloseTo((r.promptTokens + r.generatedTokens) / r.seconds, 3);
            expect(r.rowsPerSecond).toBeCloseTo(r.rows / r.seconds, 3);
            expect(r.timeToFirstTokenMs).toBeGreaterThan(0);
            expect(r.timeToFirstTokenMs).toBeLessThan(r.seconds * 1000);
            expect(r.peakRssMiB).toBeGreaterThan(10);
            expect(r.schema).toBe(false);
            expect(r.engine).toMatch(/^llama\.cpp (host build|prebuilt binary) \(CPU, 1 thread\); parallel \d+, context \d+ per sequence$/u);
            // the step profile: every generated token is one sequence in one step (prompts are evaluated in steps too)
            expect(r.steps.steps).toBeGreaterThanOrEqual(r.generatedTokens / r.parallel);
            expect(r.steps.sequencesPerStep * r.steps.steps).toBeGreaterThanOrEqual(r.generatedTokens);
            expect(r.steps.stepMs * r.steps.steps).toBeLessThanOrEqual(r.seconds * 1000);
            if (process.env.AIRLABEL_REQUIRE_NATIVE === "1") expect(r.steps.native).toBe(true);
            if (r.steps.native) {
                expect(r.steps.decodeMs).toBeGreaterThan(0);
                expect(r.steps.samplingMs).toBeGreaterThan(0);
                expect(r.steps.decodeMs + r.steps.samplingMs).toBeLessThan(r.steps.stepMs);
                expect(r.steps.hostMs).toBeCloseTo(r.steps.stepMs - r.steps.decodeMs, 6);
                expect(r.steps.hostUsPerSequence).toBeCloseTo((r.steps.hostMs * 1000) / r.steps.sequencesPerStep, 6);
            }
        }
        expect(run.stderr).toContain("airlabel: engine: llama.cpp");
    });

    test("--schema measures constrained decoding; the table goes to stdout", async () => {
        const model = await generatedModel();
        const dir = fs.mkdtempSync("/tmp/airlabel-bench-test-");
        fs.writeFileSync(`${dir}/schema.json`, JSON.stringify({type: "object", properties: {ok: {type: "boolean"}}, required: ["ok"]}));
        const run = await runCli([
            "bench",
            "-m",
            model,
            "--parallel",
            "2",
            "--prompt-tokens",
            "16",
            "--gen-tokens",
            "24",
            "--waves",
            "1",
            "--schema",
            `${dir}/schema.json`
        ]);
        expect(run.code, run.stderr).toBe(0);
        const lines = run.stdout.trim().split("\n");
        expect(lines[0]).toMatch(/^\| parallel \| rows/u);
        expect(lines).toHaveLength(3);
        expect(lines[2]).toMatch(/^\| 2 \| 2 \| default \|/u);
        expect(lines[0]).toContain("| step ms | decode ms | sampling ms | JS ms | host µs/seq |");
    });

    test("bad settings are named", async () => {
        const model = await generatedModel();
        const run = await runCli(["bench", "-m", model, "--parallel", "0"]);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain("options.parallel must be a list of positive integers");
    });
});

describe("syntheticPrompts", () => {
    async function checkExactPrompts(file: string): Promise<void> {
        const llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error});
        const model = await llama.loadModel({modelPath: file, vocabOnly: true});
        try {
            for (const length of [8, 41, 100]) {
                const prompts = syntheticPrompts(model, 5, length);
                expect(new Set(prompts).size).toBe(5);
                for (const prompt of prompts) expect(tokenizePrompt(model, formatPrompt(null, undefined, prompt))).toHaveLength(length);
            }
        } finally {
            await model.dispose();
        }
    }

    test("exact token counts, distinct prompts: generated byte-level model", async () => {
        await checkExactPrompts(await generatedModel());
    });

    test.runIf(fs.existsSync(storiesModel))("exact token counts, distinct prompts: stories260K (SentencePiece)", async () => {
        await checkExactPrompts(storiesModel);
    });
});
