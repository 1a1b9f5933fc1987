import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import {beforeAll, describe, expect, it} from "vitest";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";
import {runJob} from "../../src/jobs/runJob.js";
import {readOutput} from "../../src/output/readOutput.js";
import {runCli, tempDir, writeJsonl} from "../support/fixtures.js";

const texts = [
    "ok",
    "a rather long review that goes on about the product and its many small flaws",
    "fine",
    "medium length review of a kettle",
    "bad",
    "the longest review of them all, written by someone with a great deal of time on their hands",
    "meh",
    "short but not the shortest",
    "great",
    "an average review"
];
const rows = texts.map((text, i) => ({id: `r${i}`, text, keep: i % 3 !== 0}));
const labelSchema = {
    type: "object",
    additionalProperties: false,
    required: ["label", "stars"],
    properties: {label: {enum: ["positive", "negative", "neutral"]}, stars: {type: "integer", minimum: 1, maximum: 5}}
};
// a free note: sampled, its length varies from row to row, and so does the answer's token count
const notedSchema = {
    type: "object",
    additionalProperties: false,
    required: ["label", "note"],
    properties: {label: {enum: ["positive", "negative", "neutral"]}, note: {type: "string", maxLength: 12}}
};
const checkSchema = {type: "object", additionalProperties: false, required: ["agree"], properties: {agree: {type: "boolean"}}};

let work: string;
let modelA: string;
let modelB: string;

beforeAll(async () => {
    work = tempDir();
    modelA = path.join(work, "a.gguf");
    modelB = path.join(work, "b.gguf");
    await writeLlamaGguf({path: modelA, parameters: 1_000_000, type: "q8_0", seed: 1});
    await writeLlamaGguf({path: modelB, parameters: 1_000_000, type: "q8_0", seed: 2});
    fs.writeFileSync(path.join(work, "label.schema.json"), JSON.stringify(labelSchema));
    fs.writeFileSync(path.join(work, "check.schema.json"), JSON.stringify(checkSchema));
    fs.writeFileSync(path.join(work, "noted.schema.json"), JSON.stringify(notedSchema));
});

function jobOf(
    dir: string,
    checkModel: string,
    checkPrompt = "Review: {text}\nLabel: {steps.label.annotation.label} ({steps.label.annotation.stars} stars). Agree?"
) {
    return {
        input: writeJsonl(path.join(dir, "in.jsonl"), rows),
        output: path.join(dir, "out"),
        maxRows: 8,
        shuffleSeed: 5,
        parallel: 4,
        shardSize: 3,
        steps: [
            {name: "label", model: modelA, prompt: "Sentiment of: {text}", schema: path.join(work, "label.schema.json"), maxTokens: 32},
            {
                name: "check",
                model: checkModel,
                prompt: checkPrompt,
                schema: path.join(work, "check.schema.json"),
                maxTokens: 16,
                where: {all: ["keep == true", "steps.label.annotation.stars >= 1"]}
            },
            {name: "notbad", type: "filter", where: 'text != "bad"'}
        ]
    };
}

const idxOf = (records: Record<string, unknown>[]) => records.map((r) => r.idx as number).sort((a, b) => a - b);

function snapshot(dir: string): Record<string, string> {
    const files = [
        "manifest.json",
        ...["data", "errors"].flatMap((sub) => (fs.existsSync(path.join(dir, sub)) ? fs.readdirSync(path.join(dir, sub)).map((f) => `${sub}/${f}`) : []))
    ];
    return Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f)).toString("base64")]));
}

describe("runJob (real engine)", () => {
    it("runs the steps in order, joins earlier answers by the original idx, filters with where, and writes the result", async () => {
        const dir = tempDir();
        const job = jobOf(dir, modelB);
        const result = await runJob({job});
        expect(result.complete).toBe(true);
        const label = await readOutput(path.join(job.output, "steps", "label"));
        const labelIdx = idxOf([...label.rows, ...label.errors]);
        expect(labelIdx).toHaveLength(8);
        expect(labelIdx).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // shuffled: the idx are the input positions, not 0..7

        // the second step got exactly the rows the first answered and its where kept, under their original idx
        const expected = label.rows
            .filter((r) => rows[r.idx as number]!.keep)
            .map((r) => r.idx as number)
            .sort((a, b) => a - b);
        expect(expected.length).toBeGreaterThan(0);
        const check = await readOutput(path.join(job.output, "steps", "check"));
        expect(idxOf([...check.rows, ...check.errors])).toEqual(expected);
        for (const record of check.rows) {
            expect(record.text).toBe(texts[record.idx as number]);
            expect(record).not.toHaveProperty("steps");
        }
        const handed = fs
            .readFileSync(path.join(job.output, "inputs", "check.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as {idx: number; text: string; steps: {label: {annotation: unknown}}});
        for (const line of handed) {
            expect(line.text).toBe(texts[line.idx]);
            expect(line.steps.label.annotation).toEqual(label.rows.find((r) => r.idx === line.idx)!.annotation);
        }

        // the result: rows that passed every step, with each step's answer for that idx
        const resultRows = fs
            .readFileSync(result.result!, "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Record<string, unknown>);
        const passed = check.rows
            .filter((r) => r.text !== "bad")
            .map((r) => r.idx as number)
            .sort((a, b) => a - b);
        expect(resultRows.map((r) => r.idx)).toEqual(passed);
        for (const row of resultRows) {
            const idx = row.idx as number;
            expect(row.text).toBe(texts[idx]);
            expect(row.label).toEqual({annotation: label.rows.find((r) => r.idx === idx)!.annotation, model: "a.gguf"});
            expect(row.check).toEqual({annotation: check.rows.find((r) => r.idx === idx)!.annotation, model: "b.gguf"});
        }
        expect(result.steps.map((s) => [s.name, s.type, s.skipped])).toEqual([
            ["label", "annotate", false],
            ["check", "annotate", false],
            ["notbad", "filter", false]
        ]);

        // the same job again: nothing is redone, no file of a finished step changes
        const before = {label: snapshot(path.join(job.output, "steps", "label")), check: snapshot(path.join(job.output, "steps", "check"))};
        const again = await runJob({job});
        expect(again.steps.slice(0, 2).map((s) => s.skipped)).toEqual([true, true]);
        expect({label: snapshot(path.join(job.output, "steps", "label")), check: snapshot(path.join(job.output, "steps", "check"))}).toEqual(before);

        // a changed step is refused, naming the step and the difference; the step before it is untouched
        await expect(runJob({job: jobOf(dir, modelB, "Agree with {steps.label.annotation.label}? {text}")})).rejects.toThrow(
            /^step check: output dir .*steps\/check\/ holds a run with a different template/u
        );
        expect(snapshot(path.join(job.output, "steps", "label"))).toEqual(before.label);
    });

    it("a step that fails leaves the finished steps alone: after the fix the job resumes at that step (CLI, YAML job file)", async () => {
        const dir = tempDir();
        const broken = path.join(dir, "judge.gguf");
        fs.writeFileSync(broken, "not a model");
        const jobFile = path.join(dir, "job.yaml");
        fs.writeFileSync(jobFile, YAML.stringify({...jobOf(dir, "${JUDGE}"), steps: jobOf(dir, "${JUDGE}").steps.slice(0, 2)}));
        process.env.JUDGE = broken;
        const first = await runCli(["run", jobFile]);
        expect(first.code).toBe(1);
        expect(first.stderr).toMatch(/airlabel: step check: model file .*judge\.gguf is not a GGUF file/u);
        const labelDir = path.join(dir, "out", "steps", "label");
        const before = snapshot(labelDir);
        expect(JSON.parse(before["manifest.json"] === undefined ? "{}" : Buffer.from(before["manifest.json"], "base64").toString()).complete).toBe(true);

        fs.copyFileSync(modelB, broken);
        const second = await runCli(["run", jobFile, "--json"]);
        expect(second.code, second.stderr).toBe(0);
        expect(second.stderr).toMatch(/\[label\] already complete in .*; skipped/u);
        const summary = JSON.parse(second.stdout) as {complete: boolean; steps: {name: string; skipped: boolean}[]};
        expect(summary.complete).toBe(true);
        expect(summary.steps.map((s) => [s.name, s.skipped])).toEqual([
            ["label", true],
            ["check", false]
        ]);
        expect(snapshot(labelDir)).toEqual(before);
    });

    it("a compare step passes on the rows every model answered, each model's answer by idx; run again, both models are skipped and the result is the same", async () => {
        const dir = tempDir();
        const job = {
            input: writeJsonl(path.join(dir, "in.jsonl"), rows),
            output: path.join(dir, "out"),
            maxRows: 8,
            shuffleSeed: 5,
            parallel: 4,
            shardSize: 3,
            steps: [
                {
                    name: "cmp",
                    // sampled, model b's answers take 20 to 26 tokens
                    models: [modelA, {model: modelB, maxTokens: 22, temperature: 1, seed: 1}],
                    prompt: "Sentiment of: {text}",
                    schema: path.join(work, "noted.schema.json"),
                    maxTokens: 40
                }
            ]
        };
        const result = await runJob({job});
        expect(result.complete).toBe(true);
        const a = await readOutput(path.join(job.output, "steps", "cmp", "models", "a"));
        const b = await readOutput(path.join(job.output, "steps", "cmp", "models", "b"));
        expect(idxOf([...a.rows, ...a.errors])).toHaveLength(8);
        const both = idxOf(a.rows).filter((idx) => b.rows.some((r) => r.idx === idx));
        // 22 tokens hold only some of model b's answers: the step drops the rows it failed
        expect(both.length).toBeGreaterThan(0);
        expect(b.errors.length).toBeGreaterThan(0);
        const resultRows = fs
            .readFileSync(result.result!, "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(resultRows.map((r) => r.idx)).toEqual(both);
        for (const row of resultRows) {
            const idx = row.idx as number;
            expect(row.text).toBe(texts[idx]);
            expect(row.cmp).toEqual({response_a: a.rows.find((r) => r.idx === idx)!.annotation, response_b: b.rows.find((r) => r.idx === idx)!.annotation});
        }
        expect(result.steps.map((s) => [s.name, s.type, s.inputRows, s.passedRows, s.skipped])).toEqual([["cmp", "compare", 8, both.length, false]]);
        expect(result.rows).toBe(both.length);

        const firstResult = fs.readFileSync(result.result!);
        const again = await runJob({job});
        expect(again.steps.map((s) => [s.type, s.passedRows, s.skipped, s.comparison?.models.map((m) => m.skipped)])).toEqual([
            ["compare", both.length, true, [true, true]]
        ]);
        expect(fs.readFileSync(again.result!)).toEqual(firstResult);
    });

    it("a filter as the first step picks input rows by their columns; the rows keep their input positions as idx", async () => {
        const dir = tempDir();
        const result = await runJob({
            job: {
                input: writeJsonl(path.join(dir, "in.jsonl"), rows),
                output: path.join(dir, "out"),
                parallel: 4,
                steps: [
                    {name: "keep", type: "filter", where: {field: "keep", op: "==", value: true}},
                    {name: "label", model: modelA, prompt: "Sentiment of: {text}", schema: path.join(work, "label.schema.json"), maxTokens: 32}
                ]
            }
        });
        expect(result.steps.map((s) => s.summary)[0]).toBe('kept 6 of 10 rows ({"field":"keep","op":"==","value":true})');
        const label = await readOutput(path.join(dir, "out", "steps", "label"));
        expect(idxOf([...label.rows, ...label.errors])).toEqual([1, 2, 4, 5, 7, 8]);
        for (const row of label.rows) expect(row.id).toBe(`r${row.idx as number}`);
        expect(result.rows).toBe(label.rows.length);
    });

    it("a stopped generate step is reported as a generate step, stopped, and the job as not complete", async () => {
        const dir = tempDir();
        const controller = new AbortController();
        const result = await runJob({
            job: {
                output: path.join(dir, "out"),
                model: modelA,
                parallel: 2,
                steps: [{name: "make", type: "generate", prompt: ["Write a review:"], count: 16, temperature: 0.8, maxTokens: 8}]
            },
            // stop once the first row is done: the rows not yet fed are left for a resume
            origin: "job",
            signal: controller.signal,
            onProgress: () => controller.abort()
        });
        expect(result.complete).toBe(false);
        expect(result.steps).toEqual([expect.objectContaining({name: "make", type: "generate", summary: "stopped"})]);
    });
});
