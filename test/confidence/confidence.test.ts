import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {exportHandoff} from "../../src/handoff/exportHandoff.js";
import {formatHandoffStats, handoffStats} from "../../src/handoff/handoffStats.js";
import {readHandoffSource} from "../../src/handoff/readHandoffSource.js";
import type {ReviewEntry} from "../../src/handoff/ReviewLog.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {ReviewQueue} from "../../src/review/ReviewQueue.js";
import {runCli, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";
import {uniformModel} from "./uniformModel.js";

// Per-answer confidence (--confidence) from the native decode loop's token log-probabilities, and self-consistency
// (--samples). The oracle is a model whose every next-token distribution is uniform (see uniformModel): whatever it
// writes, each token has probability exactly 1/V.

let dir: string;
let input: string;
let uniform: {file: string; vocabulary: number};
beforeAll(async () => {
    dir = tempDir();
    input = writeJsonl(
        path.join(dir, "in.jsonl"),
        Array.from({length: 6}, (_, i) => ({text: `row ${i}: the cat sat on the mat`}))
    );
    uniform = await uniformModel();
});

async function rowsOf(output: string): Promise<Record<string, unknown>[]> {
    return (await readOutput(output)).rows.sort((a, b) => Number(a.idx) - Number(b.idx));
}

describe("--confidence, local engine", () => {
    test("free text: the geometric mean of the tokens' probabilities, exactly 1/V under a uniform model", async () => {
        const output = path.join(dir, "uniform-free");
        const result = await annotate({input, model: uniform.file, output, maxTokens: 6, temperature: 1, seed: 11, confidence: true});
        expect(result).toMatchObject({okRows: 6, failedRows: 0});
        const rows = await rowsOf(output);
        const answered = rows.filter((row) => row.annotation !== "");
        expect(answered.length).toBeGreaterThan(2);
        // (to the 6 significant digits recorded)
        for (const row of answered) expect(Math.abs((row.confidence as number) * uniform.vocabulary - 1)).toBeLessThan(1e-5);
        for (const row of rows.filter((row) => row.annotation === "")) expect(row.confidence).toBeNull();
        // the column comes after airlabel's others, in the shard file itself
        const shard = fs.readdirSync(path.join(output, "data"))[0]!;
        const first = JSON.parse(fs.readFileSync(path.join(output, "data", shard), "utf8").split("\n")[0]!) as Record<string, unknown>;
        expect(Object.keys(first).slice(-2)).toEqual(["model", "confidence"]);
    });

    test("a label: its probability, V^-k for the k tokens that spell it", async () => {
        const output = path.join(dir, "uniform-choices");
        const result = await annotate({input, model: uniform.file, output, choices: ["positive", "negative"], confidence: true});
        expect(result).toMatchObject({okRows: 6, failedRows: 0});
        for (const row of await rowsOf(output)) {
            const tokens = Math.log(row.confidence as number) / Math.log(1 / uniform.vocabulary);
            expect(Math.abs(tokens - Math.round(tokens))).toBeLessThan(1e-4);
            expect(Math.round(tokens)).toBeGreaterThanOrEqual(1);
        }
    });

    test("a real model: confidences in 0..1, the same in a second run; none recorded (no column) without the flag", async () => {
        const first = path.join(dir, "stories-a");
        const second = path.join(dir, "stories-b");
        const plain = path.join(dir, "stories-plain");
        for (const output of [first, second])
            expect(await annotate({input, model: storiesModel, output, choices: ["happy", "sad", "angry"], confidence: true})).toMatchObject({okRows: 6});
        await annotate({input, model: storiesModel, output: plain, choices: ["happy", "sad", "angry"]});
        const a = await rowsOf(first);
        for (const row of a) {
            expect(row.confidence as number).toBeGreaterThan(0);
            expect(row.confidence as number).toBeLessThanOrEqual(1);
        }
        expect((await rowsOf(second)).map((row) => row.confidence)).toEqual(a.map((row) => row.confidence));
        expect((await rowsOf(plain)).every((row) => !("confidence" in row))).toBe(true);
        // the answers themselves do not depend on recording the confidence
        expect((await rowsOf(plain)).map((row) => row.annotation)).toEqual(a.map((row) => row.annotation));
    });

    test("review and exports order by it: the least confident first; Label Studio's prediction score is the confidence", async () => {
        const output = path.join(dir, "stories-a");
        const rows = await rowsOf(output);
        const ascending = [...rows].sort((x, y) => (x.confidence as number) - (y.confidence as number) || Number(x.idx) - Number(y.idx)).map((row) => row.idx);
        const queue = new ReviewQueue(await readHandoffSource(output), 1, "confidence");
        const reviewed: ReviewEntry[] = [];
        for (let task = queue.next("ann", reviewed); task !== null && reviewed.length <= rows.length; task = queue.next("ann", reviewed)) {
            expect(task.confidence).toBe(rows.find((row) => row.idx === task!.idx)!.confidence);
            reviewed.push({
                seq: reviewed.length + 1,
                at: "",
                annotator: "ann",
                idx: task.idx,
                action: "skip",
                value: null,
                model: null,
                ratings: {},
                better: null,
                comment: ""
            });
        }
        expect(reviewed.map((entry) => entry.idx)).toEqual(ascending);

        const out = path.join(dir, "ls.json");
        await exportHandoff({dir: output, to: "label-studio", out, order: "confidence"});
        const tasks = JSON.parse(fs.readFileSync(out, "utf8")) as {data: {idx: number}; predictions: {score: number}[]}[];
        expect(tasks.map((task) => task.data.idx)).toEqual(ascending);
        for (const task of tasks) expect(task.predictions[0]!.score).toBe(rows.find((row) => row.idx === task.data.idx)!.confidence);
    });

    test("stats: each model's mean and lowest confidence and how many answers are below 0.5", async () => {
        const output = path.join(dir, "stories-a");
        const values = (await rowsOf(output)).map((row) => row.confidence as number);
        const stats = await handoffStats({dir: output, choices: ["happy", "sad", "angry"]});
        expect(stats.models[0]!.confidence).toEqual({
            mean: values.reduce((sum, value) => sum + value, 0) / values.length,
            min: Math.min(...values),
            below50: values.filter((value) => value < 0.5).length
        });
        expect(formatHandoffStats(stats)).toMatch(/^confidence\s+mean\s+lowest\s+below 0\.5$/mu);
    });

    test("resuming with --confidence a run made without it is refused (its rows would lack the column)", async () => {
        const output = path.join(dir, "stories-plain");
        const run = await runCli(["run", "-i", input, "-m", storiesModel, "-o", output, "--choices", "happy,sad,angry", "--confidence"]);
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/confidence/u);
    });
});

describe("--samples", () => {
    test("keeps the majority's answer with its vote share as the confidence; the samples' attempts are counted", async () => {
        const output = path.join(dir, "samples");
        const result = await annotate({input, model: storiesModel, output, choices: ["happy", "sad", "angry"], samples: 3, temperature: 1, seed: 2});
        expect(result).toMatchObject({okRows: 6, failedRows: 0});
        const rows = await rowsOf(output);
        for (const row of rows) {
            expect([0.333333, 0.666667, 1]).toContain(row.confidence);
            expect(row.attempts as number).toBeGreaterThanOrEqual(3);
        }
        // the run's summary (and --json): the answers' mean confidence and how many are below 0.5
        const shares = rows.map((row) => row.confidence as number);
        expect(result.confidence).toEqual({
            answers: 6,
            mean: expect.closeTo(shares.reduce((sum, share) => sum + share, 0) / 6, 9),
            below50: shares.filter((share) => share < 0.5).length
        });
    });

    test("is refused at temperature 0 and beside --confidence, in one line each", async () => {
        const greedy = await runCli(["run", "-i", input, "-m", storiesModel, "-o", path.join(dir, "refused-a"), "--samples", "3"]);
        expect(greedy.code).toBe(2);
        expect(greedy.stderr.trim()).toBe("airlabel: options.samples (3) needs options.temperature above 0: at temperature 0 every sample is the same answer");
        const both = await runCli([
            "run",
            "-i",
            input,
            "-m",
            storiesModel,
            "-o",
            path.join(dir, "refused-b"),
            "--samples",
            "3",
            "--temperature",
            "1",
            "--confidence"
        ]);
        expect(both.code).toBe(2);
        expect(both.stderr.trim()).toBe(
            "airlabel: options.confidence and options.samples cannot be used together (with samples, the confidence is the vote share)"
        );
    });
});
