import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {generatedModel, jobFixture, runCli} from "../support/fixtures.js";
import {comparisonFile, readJsonl, writeJsonl} from "./helpers.js";

const LABELS = "positive,negative,neutral";
const rows = Array.from({length: 16}, (_, i) => ({text: `review number ${i}: ${"good ".repeat(i % 3)}${"bad ".repeat(i % 2)}`.trim()}));
let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
});

/** What a reviewer does in Prodigy to task `i`, as `prodigy db-out` writes it. */
function review(task: Record<string, unknown>): Record<string, unknown> {
    const idx = (task.meta as {idx: number}).idx;
    const accepted = (task.accept as string[])[0]!;
    const other = LABELS.split(",").find((label) => label !== accepted)!;
    const base = {...task, _view_id: "choice", _annotator_id: "reviews-ann1", _session_id: "reviews-ann1", _timestamp: 1764000000 + idx};
    switch (idx % 4) {
        case 0:
            return {...base, answer: "accept"};
        case 1:
            return {...base, accept: [other], answer: "accept"};
        case 2:
            return {...base, answer: "reject"};
        default:
            return {...base, answer: "ignore"};
    }
}

describe("hand-off end to end (real engine): run -> export prodigy -> review -> import -> stats", () => {
    test("the reviewed labels come back joined on idx and stats scores the model against them", async () => {
        const out = path.join(dir, "out");
        const run = await runCli([
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            out,
            "-p",
            "Sentiment of: {text}",
            "--choices",
            LABELS,
            "--max-tokens",
            "8",
            "-q",
            "--json"
        ]);
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({totalRows: 16, complete: true});

        const exported = await runCli(["export", out, "--to", "prodigy", "--choices", LABELS, "--json"]);
        expect(exported.code, exported.stderr).toBe(0);
        const result = JSON.parse(exported.stdout) as {files: string[]; records: number; skipped: number};
        expect(result.files).toEqual([path.join(out, "export", "prodigy.jsonl")]);
        const tasks = readJsonl(result.files[0]!);
        expect(tasks).toHaveLength(result.records);
        expect(result.records + result.skipped).toBe(16);
        const answered = fs.readdirSync(path.join(out, "data")).flatMap((file) => readJsonl(path.join(out, "data", file)));
        const modelLabel = new Map(answered.map((row) => [row.idx as number, row.annotation as string]));
        for (const task of tasks) {
            const idx = (task.meta as {idx: number}).idx;
            expect(task.text).toBe(rows[idx]!.text);
            // a row the model failed is a task too, marked, with nothing pre-accepted
            expect(task.accept).toEqual(modelLabel.has(idx) ? [modelLabel.get(idx)] : []);
            if (!modelLabel.has(idx)) expect(task.meta).toMatchObject({airlabel_failed: true, airlabel_error: expect.any(String)});
            expect(task.options).toEqual(LABELS.split(",").map((label) => ({id: label, text: label})));
        }
        expect(new Set(tasks.map((task) => task._input_hash)).size).toBe(tasks.length);

        // the same --choices as the run: no note; other labels: a note that they are not the run's
        expect(exported.stderr).not.toContain("note:");
        const other = await runCli(["export", out, "--to", "prodigy", "--choices", "yes,no", "--out", path.join(dir, "other.jsonl")]);
        expect(other.code, other.stderr).toBe(0);
        expect(other.stderr).toMatch(
            /^airlabel: note: the --choices given is not the answer schema the run recorded \(sha256 [0-9a-f]{16} vs the run's [0-9a-f]{16}\)/u
        );

        const reviewedFile = writeJsonl(path.join(dir, "reviewed.jsonl"), tasks.map(review));
        const imported = await runCli(["import", out, reviewedFile, "--choices", LABELS]);
        expect(imported.code, imported.stderr).toBe(0);
        const idxOf = (task: Record<string, unknown>) => (task.meta as {idx: number}).idx;
        // kept: accepted as the model answered; changed: another label accepted (on a failed row too)
        const kept = tasks.filter((task) => idxOf(task) % 4 === 0 && modelLabel.has(idxOf(task))).length;
        const changed = tasks.filter((task) => idxOf(task) % 4 === 1);
        const labelled = kept + changed.length;
        expect(imported.stderr).toBe(
            `airlabel: imported ${tasks.length} reviewed rows from ${reviewedFile} (prodigy; ${labelled} with a label, ${tasks.length - labelled} rejected, ignored or discarded, 0 ties between annotators) ` +
                `into ${path.join(out, "reviews", "reviewed.jsonl")}; compare with: airlabel stats ${out}\n`
        );

        const stats = await runCli(["stats", out, "--choices", LABELS, "--json"]);
        expect(stats.code, stats.stderr).toBe(0);
        const parsed = JSON.parse(stats.stdout) as {
            models: {valid: number; failed: number}[];
            reviews: {labelled: number; models: {n: number; agreement: number}[]}[];
        };
        expect(parsed.models[0]!.valid + parsed.models[0]!.failed).toBe(16);
        expect(parsed.reviews[0]!.labelled).toBe(labelled);
        // the reviewer kept the model's label on idx % 4 == 0 and changed it on idx % 4 == 1 (rows the model failed do not count)
        const compared = kept + changed.filter((task) => modelLabel.has(idxOf(task))).length;
        expect(parsed.reviews[0]!.models[0]).toMatchObject({n: compared, agreement: kept / compared});

        const text = await runCli(["stats", out, "--choices", LABELS]);
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toContain("field label: labels positive, negative, neutral (from the choices)");
        expect(text.stdout).toContain(`reviewed: ${tasks.length} rows reviewed, ${labelled} with a value`);

        // the run recorded its answer schema in the manifest: without --choices the labels come from there
        const bare = await runCli(["stats", out]);
        expect(bare.code, bare.stderr).toBe(0);
        expect(bare.stdout).toMatch(/field label: labels positive, negative, neutral/u);
    });

    test("two real runs in the comparison layout: stats compares the models on the same idx, export gives one record per idx", async () => {
        const compare = path.join(dir, "compare");
        const second = await generatedModel(1_000_000, "f16");
        for (const [id, file] of [
            ["q8", model],
            ["f16", second]
        ] as const) {
            const run = await runCli([
                "run",
                "-i",
                input,
                "-m",
                file,
                "-o",
                path.join(compare, "models", id),
                "-p",
                "Sentiment of: {text}",
                "--choices",
                LABELS,
                "--max-tokens",
                "8",
                "-q"
            ]);
            expect(run.code, run.stderr).toBe(0);
        }
        // the layout `airlabel run --model a --model b` writes (compare.json + models/<id>/)
        fs.writeFileSync(
            path.join(compare, "compare.json"),
            JSON.stringify(
                comparisonFile([
                    {id: "q8", model},
                    {id: "f16", model: second}
                ])
            )
        );
        const stats = await runCli(["stats", compare, "--choices", LABELS, "--json"]);
        expect(stats.code, stats.stderr).toBe(0);
        const parsed = JSON.parse(stats.stdout) as {comparison: boolean; pairs: {a: string; b: string; n: number; agreement: number}[]};
        expect(parsed.comparison).toBe(true);
        const labelsOf = (id: string) =>
            new Map(
                fs
                    .readdirSync(path.join(compare, "models", id, "data"))
                    .flatMap((file) => readJsonl(path.join(compare, "models", id, "data", file)))
                    .map((row) => [row.idx as number, row.annotation])
            );
        const q8 = labelsOf("q8");
        const f16 = labelsOf("f16");
        const both = [...q8.keys()].filter((idx) => f16.has(idx));
        expect(parsed.pairs).toEqual([
            expect.objectContaining({a: "q8", b: "f16", n: both.length, agreement: both.filter((idx) => q8.get(idx) === f16.get(idx)).length / both.length})
        ]);

        const argilla = await runCli(["export", compare, "--to", "argilla", "--choices", LABELS, "--json"]);
        expect(argilla.code, argilla.stderr).toBe(0);
        const folder = path.join(compare, "export", "argilla");
        const records = JSON.parse(fs.readFileSync(path.join(folder, "records.json"), "utf8")) as {id: string; fields: Record<string, string>}[];
        // every row, the ones a model failed too
        expect(records.map((record) => Number(record.id))).toEqual(rows.map((_, i) => i));
        expect(Object.keys(records[0]!.fields)).toEqual(["text", "response_q8", "response_f16"]);
        const settings = JSON.parse(fs.readFileSync(path.join(folder, ".argilla", "settings.json"), "utf8")) as {questions: {name: string}[]};
        expect(settings.questions.map((question) => question.name)).toEqual(["label", "rating_q8", "rating_f16", "better"]);
        expect(JSON.parse(fs.readFileSync(path.join(folder, ".argilla", "dataset.json"), "utf8"))).toMatchObject({name: "airlabel-compare"});
    });
});
