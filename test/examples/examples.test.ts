import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {readComparison} from "../../src/compare/readComparison.js";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";
import {readOutput} from "../../src/output/readOutput.js";
import {runCli, tempDir} from "../support/fixtures.js";

// Each example runs as written (from the repo root), with generated models in the environment variables the job
// files name, its output redirected to a temp dir, and few rows so each takes seconds.

let models: {a: string; b: string; judge: string};

beforeAll(async () => {
    const dir = tempDir();
    models = {a: path.join(dir, "a.gguf"), b: path.join(dir, "b.gguf"), judge: path.join(dir, "judge.gguf")};
    await writeLlamaGguf({path: models.a, parameters: 1_000_000, type: "q8_0", seed: 1});
    await writeLlamaGguf({path: models.b, parameters: 1_000_000, type: "q8_0", seed: 2});
    await writeLlamaGguf({path: models.judge, parameters: 1_000_000, type: "q8_0", seed: 3});
    process.env.AIRLABEL_MODEL = models.a;
    process.env.AIRLABEL_MODEL_B = models.b;
    process.env.AIRLABEL_JUDGE_MODEL = models.judge;
});

function lines(file: string): Record<string, unknown>[] {
    const text = fs.readFileSync(file, "utf8").trim();
    return text === "" ? [] : text.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function idxOnce(dir: string): Promise<number[]> {
    const {rows, errors} = await readOutput(dir);
    const all = [...rows, ...errors].map((r) => r.idx as number).sort((a, b) => a - b);
    expect(new Set(all).size).toBe(all.length);
    return all;
}

describe("examples/ (run as written)", () => {
    it("classify: run examples/classify/job.yaml --model", async () => {
        const out = path.join(tempDir(), "classify");
        const run = await runCli(["run", "examples/classify/job.yaml", "--model", models.a, "-o", out, "--max-rows", "6"]);
        expect(run.code, run.stderr).toBe(0);
        expect(await idxOnce(out)).toEqual([0, 1, 2, 3, 4, 5]);
        for (const row of (await readOutput(out)).rows) expect(["positive", "negative", "neutral"]).toContain((row.annotation as {label: string}).label);
    });

    it("fewshot: run examples/fewshot/job.yaml --model (three labelled examples before every prompt)", async () => {
        const out = path.join(tempDir(), "fewshot");
        const run = await runCli(["run", "examples/fewshot/job.yaml", "--model", models.a, "-o", out, "--max-rows", "4"]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toContain("airlabel: examples: 3 few-shot examples before each row's prompt");
        expect(await idxOnce(out)).toEqual([0, 1, 2, 3]);
        for (const row of (await readOutput(out)).rows) expect(["positive", "negative", "neutral"]).toContain((row.annotation as {label: string}).label);
        const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as {meta: {config: {options: {examples: unknown[]}}}};
        expect(manifest.meta.config.options.examples).toHaveLength(3);
    });

    it("entities: AIRLABEL_MODEL=… run examples/entities/job.yaml", async () => {
        const out = path.join(tempDir(), "entities");
        const run = await runCli(["run", "examples/entities/job.yaml", "-o", out, "--max-rows", "3"]);
        expect(run.code, run.stderr).toBe(0);
        expect(await idxOnce(out)).toEqual([0, 1, 2]);
        for (const row of (await readOutput(out)).rows) expect(Array.isArray((row.annotation as {entities: unknown}).entities)).toBe(true);
    });

    it("compare-judge: two models, then a judge reading both answers with the 0-7 rubric", async () => {
        const out = path.join(tempDir(), "compare-judge");
        const run = await runCli(["run", "examples/compare-judge/job.yaml", "-o", out, "--max-rows", "3"]);
        expect(run.code, run.stderr).toBe(0);
        const comparison = await readComparison(path.join(out, "steps", "answer"));
        expect(comparison.models.map((m) => m.id)).toEqual(["a", "b"]);
        expect(comparison.rows.map((r) => r.idx)).toEqual([0, 1, 2]);
        const bothAnswered = comparison.rows.filter((r) => r.responses.a!.ok && r.responses.b!.ok).map((r) => r.idx);
        expect(await idxOnce(path.join(out, "steps", "judge"))).toEqual(bothAnswered);
        const judged = (await readOutput(path.join(out, "steps", "judge"))).rows;
        expect(judged.length).toBeGreaterThan(0);
        for (const row of judged) {
            const grade = row.annotation as Record<"a" | "b", Record<string, unknown>> & {better: string};
            for (const side of ["a", "b"] as const) {
                expect(Object.keys(grade[side]).sort()).toEqual([
                    "concise",
                    "consistent",
                    "label_fits",
                    "mixed_is_neutral",
                    "nothing_invented",
                    "reason_grounded",
                    "reason_specific",
                    "score"
                ]);
                expect(grade[side].score).toBeGreaterThanOrEqual(0);
                expect(grade[side].score).toBeLessThanOrEqual(7);
            }
        }
        // the judge's prompt held both models' answers for that very row
        const handed = lines(path.join(out, "inputs", "judge.jsonl"));
        for (const line of handed) {
            const row = comparison.rows.find((r) => r.idx === line.idx)!;
            expect((line.steps as {answer: unknown}).answer).toEqual({response_a: row.responses.a!.annotation, response_b: row.responses.b!.annotation});
        }
        const result = lines(path.join(out, "result.jsonl"));
        expect(result.map((r) => r.idx)).toEqual(judged.map((r) => r.idx).sort((x, y) => (x as number) - (y as number)));
    });

    it("qa-pairs: a list of 2-3 Q&A pairs per story, exported one row per pair (oneToMany)", async () => {
        const out = path.join(tempDir(), "qa-pairs");
        const run = await runCli(["run", "examples/qa-pairs/job.yaml", "-o", out, "--max-rows", "3"]);
        expect(run.code, run.stderr).toBe(0);
        const stored = (await readOutput(out, {items: false})).rows;
        expect(stored.map((row) => row.idx)).toEqual([0, 1, 2]);
        const file = path.join(tempDir(), "qa-pairs.jsonl");
        const exported = await runCli(["export", out, "--to", file]);
        expect(exported.code, exported.stderr).toBe(0);
        const expected = stored.flatMap((row) => (row.annotation as unknown[]).map((pair, item) => ({row_id: `${row.idx as number}-${item}`, pair})));
        expect(expected.length).toBeGreaterThanOrEqual(6);
        expect(lines(file).map((row) => ({row_id: row.row_id, pair: row.annotation}))).toEqual(expected);
    });

    it("generate-filter: generate reviews from prompts, grade them, keep the good ones", async () => {
        const out = path.join(tempDir(), "generate-filter");
        // a random-weight model never ends a free string: the grammar cap makes it finish (--grammar-max-string-length)
        const run = await runCli(["run", "examples/generate-filter/job.yaml", "-o", out, "--max-tokens", "120", "--grammar-max-string-length", "12"]);
        expect(run.code, run.stderr).toBe(0);
        const generated = await idxOnce(path.join(out, "steps", "generate"));
        expect(generated).toEqual(Array.from({length: 12}, (_, i) => i)); // 4 prompts x 3 samples, idx = sample * 4 + prompt_idx
        const made = (await readOutput(path.join(out, "steps", "generate"))).rows;
        expect(made, "every generated review is valid under the caps").toHaveLength(12);
        for (const row of made) expect(row.idx).toBe((row.sample as number) * 4 + (row.prompt_idx as number));
        expect(await idxOnce(path.join(out, "steps", "judge"))).toEqual(made.map((r) => r.idx as number).sort((a, b) => a - b));
        const judged = (await readOutput(path.join(out, "steps", "judge"))).rows;
        const kept = judged.filter((r) => (r.annotation as {score: number}).score >= 3).map((r) => r.idx);
        const result = lines(path.join(out, "result.jsonl"));
        expect(result.map((r) => r.idx)).toEqual(kept);
        for (const row of result) expect((row.judge as {annotation: {score: number}}).annotation.score).toBeGreaterThanOrEqual(3);
    });
});
