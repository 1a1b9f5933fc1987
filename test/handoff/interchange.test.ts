import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {exportHandoff} from "../../src/handoff/exportHandoff.js";
import type {ArgillaRecord} from "../../src/handoff/toArgilla.js";
import type {LabelStudioTask} from "../../src/handoff/toLabelStudio.js";
import {generatedModel, jobFixture, runCli} from "../support/fixtures.js";
import {loadFromDisk} from "./argillaFromDisk.js";
import {comparisonFile, readJsonl, tempDir, writeJsonl, writeRun} from "./helpers.js";

/*
 * Interchange that real tools read, on real runs of two generated models (the engine answers every row; a parse
 * hook stores the label the row's `ans_a`/`ans_b` column names, a validate hook rejects row 3): Prodigy and Label
 * Studio exports round-trip through import with no collisions and ties flagged, and the Argilla folder loads the way
 * Argilla 2.x's `Dataset.from_disk` reads it.
 */

const LABELS = "positive,negative,neutral";
const ROWS = [
    {text: "same words", ans_a: "positive", ans_b: "positive"},
    {text: "same words", ans_a: "positive", ans_b: "negative"},
    {text: "other words", ans_a: "negative", ans_b: "neutral"},
    {text: "FAIL me", ans_a: "positive", ans_b: "positive"},
    {text: "fine", ans_a: "neutral", ans_b: "neutral"},
    {text: "meh", ans_a: "negative", ans_b: "positive"}
];
const FAILED = 3;

let dir: string;
let compare: string;
const models: Record<"a" | "b", string> = {a: "", b: ""};
beforeAll(async () => {
    let input: string;
    ({model: models.a, dir, input} = await jobFixture(ROWS));
    models.b = await generatedModel(1_000_000, "f16");
    compare = path.join(dir, "compare");
    for (const id of ["a", "b"] as const) {
        const hooks = path.join(dir, `hooks-${id}.mjs`);
        fs.writeFileSync(
            hooks,
            `export const validate = (row) => row.text !== "FAIL me" || "flagged for review";\nexport const parse = (row) => row.ans_${id};\n`
        );
        const run = await runCli([
            "run",
            "-i",
            input,
            "-m",
            models[id],
            "-o",
            path.join(compare, "models", id),
            "-p",
            "Sentiment of: {text}",
            "--choices",
            LABELS,
            "--max-tokens",
            "24",
            "--hooks",
            hooks,
            "-q"
        ]);
        expect(run.code, run.stderr).toBe(0);
    }
    const file = comparisonFile([
        {id: "a", model: models.a},
        {id: "b", model: models.b}
    ]);
    fs.writeFileSync(path.join(compare, "compare.json"), JSON.stringify(file));
}, 120_000);

const idxOf = (task: Record<string, unknown>) => (task.meta as {idx: number}).idx;

describe("Prodigy", () => {
    test("each row is its own task and two models' exports never collide; failed rows are included and marked", async () => {
        const [a, b] = await Promise.all(
            (["a", "b"] as const).map(async (id) => {
                const out = path.join(dir, `prodigy-${id}.jsonl`);
                const result = await runCli(["export", path.join(compare, "models", id), "--to", "prodigy", "--choices", LABELS, "--out", out]);
                expect(result.code, result.stderr).toBe(0);
                expect(result.stderr).toContain("1 row a model failed included and marked");
                return readJsonl(out);
            })
        );
        expect(a!.map(idxOf)).toEqual([0, 1, 2, 3, 4, 5]);
        // rows 0 and 1 have the same text: still two inputs
        expect(a![0]!.text).toBe(a![1]!.text);
        expect(new Set(a!.map((task) => task._input_hash)).size).toBe(6);
        // the same row is the same input in both exports; each model's task is its own (row 0: the same answer, another model)
        expect(b!.map((task) => task._input_hash)).toEqual(a!.map((task) => task._input_hash));
        expect(a![0]!.accept).toEqual(b![0]!.accept);
        expect(new Set([...a!, ...b!].map((task) => task._task_hash)).size).toBe(12);
        expect(a![FAILED]).toMatchObject({text: "FAIL me", accept: [], meta: {idx: FAILED, airlabel_failed: true, answer: null}});
        expect((a![FAILED]!.meta as {airlabel_error: string}).airlabel_error).toMatch(/flagged for review/u);
    });

    test("a comparison round-trips through import: a split between models prefills nothing, a split between annotators is a tie", async () => {
        const exported = await runCli(["export", compare, "--to", "prodigy", "--choices", LABELS]);
        expect(exported.code, exported.stderr).toBe(0);
        const tasks = readJsonl(path.join(compare, "export", "prodigy.jsonl"));
        expect(tasks.map((task) => task.accept)).toEqual([["positive"], [], [], [], ["neutral"], []]);
        expect(tasks[1]!.meta).toMatchObject({airlabel_tie: true, answers: {a: "positive", b: "negative"}});
        expect(tasks[FAILED]!.meta).toMatchObject({airlabel_failed: true, airlabel_failed_models: ["a", "b"]});
        const by = (task: Record<string, unknown>, annotator: string, answer: string, accept: string[] = []) => ({
            ...task,
            accept,
            answer,
            _annotator_id: `ds-${annotator}`,
            _session_id: `ds-${annotator}`
        });
        const reviewed = tasks.flatMap((task) => {
            switch (idxOf(task)) {
                case 0:
                    return [by(task, "alice", "accept", ["positive"]), by(task, "bob", "accept", ["positive"])];
                case 1:
                    return [by(task, "alice", "accept", ["positive"]), by(task, "bob", "accept", ["negative"])];
                case 2:
                    return [by(task, "alice", "accept", ["negative"]), by(task, "bob", "accept", ["negative"]), by(task, "carol", "accept", ["neutral"])];
                case FAILED:
                    return [by(task, "alice", "accept", ["neutral"])];
                case 4:
                    return [by(task, "alice", "reject")];
                default:
                    return [by(task, "alice", "ignore")];
            }
        });
        const file = writeJsonl(path.join(dir, "prodigy-reviewed.jsonl"), reviewed);
        const imported = await runCli(["import", compare, file, "--choices", LABELS, "--as", "prodigy"]);
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stderr).toContain("(prodigy; 3 with a label, 2 rejected, ignored or discarded, 1 tie between annotators)");
        const stored = readJsonl(path.join(compare, "reviews", "prodigy.jsonl"));
        expect(stored[0]).toEqual({
            idx: 0,
            value: "positive",
            decision: "accept",
            reviews: 2,
            annotators: ["ds-alice", "ds-bob"],
            values: {"ds-alice": "positive", "ds-bob": "positive"}
        });
        expect(stored[1]).toEqual({
            idx: 1,
            value: null,
            decision: "tie",
            reviews: 2,
            annotators: ["ds-alice", "ds-bob"],
            values: {"ds-alice": "positive", "ds-bob": "negative"},
            tie: true
        });
        expect(stored[2]).toMatchObject({value: "negative", decision: "accept", values: {"ds-alice": "negative", "ds-bob": "negative", "ds-carol": "neutral"}});
        expect(stored[FAILED]).toMatchObject({idx: FAILED, value: "neutral"});
    });
});

describe("Label Studio", () => {
    test("tasks with one prediction per model and a labeling config; its JSON export comes back with each annotator's value and ties flagged", async () => {
        const exported = await runCli(["export", compare, "--to", "label-studio", "--choices", LABELS]);
        expect(exported.code, exported.stderr).toBe(0);
        const tasksFile = path.join(compare, "export", "label-studio.json");
        const config = fs.readFileSync(path.join(compare, "export", "label-studio.config.xml"), "utf8");
        expect(exported.stderr).toContain(`to ${tasksFile} and the labeling config to ${path.join(compare, "export", "label-studio.config.xml")}`);
        const tasks = JSON.parse(fs.readFileSync(tasksFile, "utf8")) as LabelStudioTask[];
        expect(tasks.map((task) => task.data.idx)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(tasks[1]!.data).toMatchObject({text: "same words", idx: 1, response_a: "positive", response_b: "negative"});
        expect(tasks[1]!.predictions).toEqual([
            {
                model_version: path.basename(models.a),
                score: null,
                result: [{from_name: "label", to_name: "text", type: "choices", value: {choices: ["positive"]}}]
            },
            {
                model_version: path.basename(models.b),
                score: null,
                result: [{from_name: "label", to_name: "text", type: "choices", value: {choices: ["negative"]}}]
            }
        ]);
        expect(tasks[FAILED]!.data).toMatchObject({airlabel_failed: true, airlabel_error: expect.stringMatching(/flagged for review/u)});
        expect(tasks[FAILED]!.predictions).toEqual([]);
        expect(config).toContain('<Text name="text" value="$text"/>');
        expect(config).toContain('<Choices name="label" toName="text" choice="single" showInline="true">');
        for (const label of LABELS.split(",")) expect(config).toContain(`<Choice value="${label}"/>`);
        // every name a result uses is a tag of the config
        const tagNames = new Set([...config.matchAll(/ name="([^"]+)"/gu)].map((match) => match[1]));
        for (const result of tasks.flatMap((task) => task.predictions.flatMap((prediction) => prediction.result))) {
            expect(tagNames.has(result.from_name)).toBe(true);
            expect(tagNames.has(result.to_name)).toBe(true);
        }

        // what Label Studio's JSON export gives back after two annotators (user 1 and bob) labelled the tasks
        const choice = (label: string) => [{id: "r1", from_name: "label", to_name: "text", type: "choices", value: {choices: [label]}, origin: "manual"}];
        const annotation = (completedBy: unknown, label: string | null, cancelled = false) => ({
            id: 1,
            completed_by: completedBy,
            result: label === null ? [] : choice(label),
            was_cancelled: cancelled,
            ground_truth: false,
            lead_time: 3.2
        });
        const bob = {id: 2, email: "bob@example.com", first_name: "", last_name: ""};
        const labelled: Record<number, unknown[]> = {
            0: [annotation(1, "positive"), annotation(bob, "positive")],
            1: [annotation(1, "positive"), annotation(bob, "negative")],
            2: [annotation(1, "neutral")],
            3: [annotation(1, "negative")],
            4: [annotation(1, null, true)],
            5: []
        };
        const exportFile = path.join(dir, "project-1-at-2026.json");
        fs.writeFileSync(
            exportFile,
            JSON.stringify(
                tasks.map((task, i) => ({id: i + 1, annotations: labelled[task.data.idx], drafts: [], predictions: task.predictions, data: task.data}))
            )
        );
        const imported = await runCli(["import", compare, exportFile, "--choices", LABELS, "--as", "ls"]);
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stderr).toContain("(label-studio; 3 with a label, 1 rejected, ignored or discarded, 1 tie between annotators)");
        const stored = readJsonl(path.join(compare, "reviews", "ls.jsonl"));
        expect(stored.map((row) => row.idx)).toEqual([0, 1, 2, 3, 4]);
        expect(stored[0]).toMatchObject({value: "positive", values: {"user-1": "positive", "bob@example.com": "positive"}});
        expect(stored[1]).toMatchObject({value: null, decision: "tie", tie: true, values: {"user-1": "positive", "bob@example.com": "negative"}});
        expect(stored[4]).toMatchObject({value: null, decision: "cancelled"});
    });
});

describe("Argilla from_disk folder", () => {
    test("a comparison: each answer a field, a rating question per answer, a better question, no suggestion on a tie, failed rows marked", async () => {
        const result = await exportHandoff({dir: compare, to: "argilla", choices: LABELS.split(",")});
        const folder = path.join(compare, "export", "argilla");
        expect(result.files).toEqual(["records.json", ".argilla/settings.json", ".argilla/dataset.json"].map((name) => path.join(folder, name)));
        const loaded = loadFromDisk(folder);
        expect(loaded.dataset).toMatchObject({name: "airlabel-compare", status: "draft", distribution: {strategy: "overlap", min_submitted: 1}});
        expect(loaded.settings.fields.map((field) => field.name)).toEqual(["text", "ans_a", "ans_b", "response_a", "response_b"]);
        expect(loaded.settings.questions.map((question) => [question.name, (question.settings as {type: string}).type])).toEqual([
            ["label", "label_selection"],
            ["rating_a", "rating"],
            ["rating_b", "rating"],
            ["better", "label_selection"]
        ]);
        const records = loaded.records as unknown as ArgillaRecord[];
        expect(records.map((record) => record.id)).toEqual(["0", "1", "2", "3", "4", "5"]);
        expect(records[0]!.fields).toMatchObject({response_a: "positive", response_b: "positive"});
        expect(records[0]!.suggestions.label).toMatchObject({value: "positive", score: 1});
        expect(records[1]!.suggestions).toEqual({});
        expect(records[1]!.metadata).toMatchObject({agreement: "tie"});
        expect(records[FAILED]!.fields.response_a).toMatch(/^\(failed: .*flagged for review/u);
        expect(records[FAILED]!.metadata).toMatchObject({"a-ok": "no", "b-ok": "no"});
    });

    test("a single run with --guidelines, and a judge step: the judged answers beside the judge's verdicts and scores", async () => {
        const guidelines = "# Review\n\nCheck the label.\n";
        await exportHandoff({dir: path.join(compare, "models", "a"), to: "argilla", choices: LABELS.split(","), guidelines, out: path.join(dir, "single")});
        const single = loadFromDisk(path.join(dir, "single"));
        expect(single.settings.guidelines).toBe(guidelines);
        expect(single.dataset.guidelines).toBe(guidelines);
        expect(single.settings.questions.map((question) => question.name)).toEqual(["label"]);
        expect(single.records[FAILED]).toMatchObject({metadata: {failed: "yes", error: expect.stringMatching(/flagged for review/u)}, suggestions: {}});

        // a job's judge step: its rows' input is <job>/inputs/judge.jsonl, holding what the earlier step answered
        const job = path.join(tempDir(), "job");
        const judged = [
            {idx: 0, text: "good", steps: {answer: {response_a: {label: "positive"}, response_b: {label: "negative"}}}},
            {idx: 1, text: "bad", steps: {answer: {response_a: {label: "negative"}, response_b: {label: "negative"}}}}
        ];
        fs.mkdirSync(path.join(job, "inputs"), {recursive: true});
        const inputFile = writeJsonl(path.join(job, "inputs", "judge.jsonl"), judged);
        const rubric = {type: "object", properties: {score: {type: "integer", minimum: 0, maximum: 7}}};
        const schema = {
            type: "object",
            properties: {a: {$ref: "#/$defs/rubric"}, b: {$ref: "#/$defs/rubric"}, better: {type: "string", enum: ["a", "b", "tie"]}},
            $defs: {rubric}
        };
        const judgeDir = await writeRun(
            path.join(job, "steps", "judge"),
            [
                {idx: 0, columns: {text: "good"}, answer: {a: {score: 6}, b: {score: 1}, better: "a"}},
                {idx: 1, failed: "judge ran out of tokens", columns: {text: "bad"}}
            ],
            {model: "judge.gguf", meta: {input: path.join("elsewhere", "inputs", "judge.jsonl"), schema}}
        );
        expect(fs.existsSync(inputFile)).toBe(true);
        const out = path.join(job, "argilla");
        await exportHandoff({dir: judgeDir, to: "argilla", out});
        const loaded = loadFromDisk(out);
        expect(loaded.settings.fields.map((field) => field.name)).toEqual(["text", "response_a", "judge_a", "response_b", "judge_b"]);
        expect(loaded.settings.questions.map((question) => question.name)).toEqual(["better", "rating_a", "rating_b"]);
        expect((loaded.settings.questions[1]!.settings as {options: unknown[]}).options).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((value) => ({value})));
        const [first, second] = loaded.records as unknown as ArgillaRecord[];
        expect(first!.fields).toEqual({
            text: "good",
            response_a: JSON.stringify({label: "positive"}, null, 2),
            judge_a: JSON.stringify({score: 6}, null, 2),
            response_b: JSON.stringify({label: "negative"}, null, 2),
            judge_b: JSON.stringify({score: 1}, null, 2)
        });
        expect(first!.suggestions).toEqual({
            better: {value: "a", score: null, agent: "judge.gguf"},
            rating_a: {value: 6, score: null, agent: "judge.gguf"},
            rating_b: {value: 1, score: null, agent: "judge.gguf"}
        });
        expect(first!.metadata).toMatchObject({"judge_a-score": 6, "judge_b-score": 1, failed: "no"});
        expect(second!.fields.judge_a).toBe("(the judge failed: judge ran out of tokens)");
        expect(second!.metadata).toMatchObject({failed: "yes", error: "judge ran out of tokens"});
    });
});

describe("Argilla names", () => {
    test("names stay unique across fields, questions and metadata: an input column named like a metadata property or question is renamed", async () => {
        const dir = await writeRun(path.join(tempDir(), "names"), [
            {idx: 0, columns: {text: "a", failed: "f1", label: "x"}, answer: {label: "positive"}},
            {idx: 1, columns: {text: "b", failed: "f2", label: "y"}, answer: {label: "negative"}}
        ]);
        const out = path.join(tempDir(), "names-argilla");
        await exportHandoff({dir, to: "argilla", out, choices: LABELS.split(",")});
        const loaded = loadFromDisk(out);
        expect(loaded.settings.fields.map((field) => field.name)).toEqual(["text", "failed_2", "label_2", "response_tiny"]);
        expect(loaded.records[0]).toMatchObject({fields: {text: "a", failed_2: "f1", label_2: "x"}, metadata: {model: "tiny.gguf", failed: "no"}});
    });
});
