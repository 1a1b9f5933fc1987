import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {llama3VocabModel, readJsonlDir, repoRoot, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// airlabel's steps patch runs the decode loop natively (NativeStepDriver); AIRLABEL_DRIVER=lockstep runs the same loop
// in JavaScript through node-llama-cpp's evaluate() (LockstepDriver). On the 128k-vocabulary model, with more rows than
// sequences (finished sequences take waiting rows and keep their shared prompt prefix), both must give the same rows.

type RunSummary = {
    okRows: number;
    failedRows: number;
    stepProfile: {steps: number; sequenceSteps: number; samplingCalls: number; jumpedTokens: number; native: boolean};
};

let model: string;
let input: string;
const demoSchema = path.join(repoRoot, "examples", "demo", "schema.json");

beforeAll(async () => {
    model = await llama3VocabModel();
    input = writeJsonl(
        path.join(tempDir(), "rows.jsonl"),
        Array.from({length: 11}, (_, i) => ({
            text: `Ticket ${i}: the ${["printer", "router", "laptop"][i % 3]} ${["jams", "drops the line", "will not boot", "is slow"][i % 4]} since ${i + 2} days.`
        }))
    );
});

async function annotate(driver: "lockstep" | "native", args: string[]): Promise<{summary: RunSummary; rows: Record<string, unknown>[]}> {
    const output = path.join(tempDir(), driver);
    const run = await runCli(["run", "-i", input, "-m", model, "-o", output, "-p", "Answer: {text}", "--parallel", "4", "--threads", "1", "--json", ...args], {
        env: driver === "lockstep" ? {AIRLABEL_DRIVER: "lockstep"} : {}
    });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as RunSummary;
    const rows = readJsonlDir(path.join(output, "data")).map(({idx, text, annotation, completion_tokens: tokens, finish_reason: finish, attempts}) => ({
        idx,
        text,
        annotation,
        tokens,
        finish,
        attempts
    }));
    fs.rmSync(output, {recursive: true, force: true});
    return {summary, rows};
}

describe("the native decode loop gives the JavaScript loop's rows", () => {
    const cases: [string, string[]][] = [
        ["greedy", ["--max-tokens", "20"]],
        ["greedy, exactly --max-tokens through end-of-generation", ["--max-tokens", "12", "--ignore-eos"]],
        ["seeded top-k with a stop string", ["--temperature", "0.9", "--top-k", "40", "--seed", "3", "--stop", "e", "--max-tokens", "24"]],
        // no top-k: the whole vocabulary's distribution, where a change in a logit's last bit changes the token, so
        // this also checks that both loops give every step the same batch
        ["seeded, whole vocabulary", ["--temperature", "0.8", "--seed", "5", "--max-tokens", "24"]],
        ["seeded, repetition penalty", ["--temperature", "0.7", "--seed", "9", "--repeat-penalty", "1.5", "--max-tokens", "16"]],
        ["greedy, schema", ["-s", demoSchema, "--max-tokens", "48"]],
        ["seeded, schema", ["-s", demoSchema, "--temperature", "0.9", "--top-k", "40", "--seed", "7", "--max-tokens", "48"]]
    ];
    test.each(cases)("%s", async (_name, args) => {
        const lockstep = await annotate("lockstep", args);
        const native = await annotate("native", args);
        expect(native.rows).toHaveLength(11);
        expect(native.rows).toEqual(lockstep.rows);
        // the runs really took different loops: the native one returns to JavaScript only when a row finishes
        expect(native.summary.stepProfile.native).toBe(true);
        expect(native.summary.stepProfile.steps).toBeGreaterThan(0);
        expect(native.summary.stepProfile.samplingCalls).toBe(native.summary.stepProfile.steps);
        if (args.includes("-s")) {
            // an answer ends when its grammar admits only end-of-generation: no sequence is decoded just to sample that
            // end, so each decode of a sequence gives an answer token (both loops); the native loop also appends the
            // tokens the grammar forces after a sampled one to its decode (jump-forward), JavaScript's takes them one
            // a step
            expect(native.rows.filter((row) => row.finish === "stop").length).toBeGreaterThan(0);
            const answerTokens = native.rows.reduce((sum, row) => sum + (row.tokens as number), 0);
            expect(native.summary.stepProfile.jumpedTokens).toBeGreaterThan(0);
            expect(native.summary.stepProfile.sequenceSteps).toBe(answerTokens - native.summary.stepProfile.jumpedTokens);
            expect(lockstep.summary.stepProfile.jumpedTokens).toBe(0);
            expect(lockstep.summary.stepProfile.sequenceSteps).toBe(answerTokens);
        }
    });
});
