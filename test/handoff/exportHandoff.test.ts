import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {parquetReadObjects} from "hyparquet";
import {exportHandoff} from "../../src/handoff/exportHandoff.js";
import {IncompleteRunError} from "../../src/handoff/readHandoffSource.js";
import {AnswerFieldError} from "../../src/handoff/resolveAnswerField.js";
import type {ArgillaRecord, ArgillaSettings} from "../../src/handoff/toArgilla.js";
import {readJsonl, tempDir, writeComparison, writeRun} from "./helpers.js";
import type {TestRow} from "./helpers.js";

const LABELS = ["positive", "negative", "neutral"];
const SCHEMA = {type: "object", properties: {label: {enum: LABELS}, confidence: {type: "number"}}, required: ["label"]};
/** Generation order (longest first), not input order; idx 3 failed. */
const ROWS: TestRow[] = [
    {idx: 4, columns: {text: "fine, I guess", product: "lamp", stars: 3}, answer: {label: "neutral", confidence: 0.5}},
    {idx: 1, columns: {text: "broke after a day", product: "kettle", stars: 1}, answer: {label: "negative", confidence: 0.9}},
    {idx: 3, failed: "answer does not match the schema"},
    {idx: 0, columns: {text: "love it", product: "lamp", stars: 5}, answer: {label: "positive", confidence: 0.8}},
    {idx: 2, columns: {text: "love it", product: "mug", stars: 5}, answer: {label: "positive", confidence: 0.7}}
];

let run: string;
beforeAll(async () => {
    run = await writeRun(path.join(tempDir(), "run"), ROWS);
});

const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as T;

describe("exportHandoff --to argilla", () => {
    test("the from_disk folder: records (id = idx, text fields, the answer as a field and as suggestion with the model as agent, metadata) and the matching settings", async () => {
        const out = path.join(tempDir(), "review", "argilla");
        const result = await exportHandoff({dir: run, to: "argilla", out, schema: SCHEMA});
        expect(result.files).toEqual([path.join(out, "records.json"), path.join(out, ".argilla", "settings.json"), path.join(out, ".argilla", "dataset.json")]);
        expect(result).toMatchObject({records: 4, skipped: 1, comparison: false, complete: true});
        expect(result.field).toMatchObject({key: "label", name: "label", kind: "label", labels: LABELS, source: "schema"});

        const records = readJson<ArgillaRecord[]>(result.files[0]!);
        expect(records.map((record) => record.id)).toEqual(["0", "1", "2", "4"]);
        expect(records[1]).toEqual({
            id: "1",
            fields: {text: "broke after a day", product: "kettle", response_tiny: JSON.stringify({label: "negative", confidence: 0.9}, null, 2)},
            metadata: {idx: 1, stars: 1, model: "tiny.gguf", failed: "no", prompt_tokens: 11, completion_tokens: 4},
            // the answer's own confidence (0..1) is the suggestion's score
            suggestions: {label: {value: "negative", score: 0.9, agent: "tiny.gguf"}},
            responses: {},
            vectors: {},
            _server_id: null
        });

        const settings = readJson<ArgillaSettings>(result.files[1]!);
        expect(settings.fields.map((field) => [field.name, field.required])).toEqual([
            ["text", true],
            ["product", false],
            ["response_tiny", false]
        ]);
        expect(settings.questions).toEqual([
            {
                id: null,
                name: "label",
                title: "label",
                description: "The right label (suggested: the model's answer)",
                required: true,
                settings: {type: "label_selection", options: LABELS.map((label) => ({value: label, text: label, description: null})), visible_options: 3},
                inserted_at: null,
                updated_at: null,
                type: "label_selection"
            }
        ]);
        expect(settings.metadata.map((property) => property.name)).toEqual(["idx", "model", "failed", "prompt_tokens", "completion_tokens"]);
        expect(settings.allow_extra_metadata).toBe(true);
    });

    test("an integer 0..7 answer becomes a RatingQuestion, a boolean a two-label question, a string free text", async () => {
        const dir = await writeRun(path.join(tempDir(), "judge"), [
            {idx: 0, columns: {text: "a"}, answer: {score: 6, ok: true, why: "clear"}},
            {idx: 1, columns: {text: "b"}, answer: {score: 2, ok: false, why: "vague"}}
        ]);
        const schema = {type: "object", properties: {score: {type: "integer", minimum: 0, maximum: 7}, ok: {type: "boolean"}, why: {type: "string"}}};
        const question = async (field: string) => {
            const result = await exportHandoff({dir, to: "argilla", out: path.join(tempDir(), "a"), schema, field});
            return {q: readJson<ArgillaSettings>(result.files[1]!).questions[0]!, r: readJson<ArgillaRecord[]>(result.files[0]!)[0]!};
        };
        const score = await question("score");
        expect(score.q.settings).toEqual({type: "rating", options: [0, 1, 2, 3, 4, 5, 6, 7].map((value) => ({value}))});
        expect(score.r.suggestions.score?.value).toBe(6);
        const ok = await question("ok");
        expect((ok.q.settings as {options: unknown[]}).options).toEqual([
            {value: "true", text: "true", description: null},
            {value: "false", text: "false", description: null}
        ]);
        expect(ok.r.suggestions.ok?.value).toBe("true");
        const why = await question("why");
        expect(why.q.settings).toEqual({type: "text", use_markdown: false});
        expect(why.r.suggestions.why?.value).toBe("clear");
        // with no --field, the first field holding a scale, labels or true/false is reviewed
        expect((await exportHandoff({dir, to: "argilla", out: path.join(tempDir(), "b"), schema})).field?.name).toBe("score");
    });
});

describe("exportHandoff --to prodigy", () => {
    test("choice tasks: text, options from the schema's enum, the model's answer pre-accepted, idx in meta, stable hashes", async () => {
        const out = path.join(tempDir(), "tasks.jsonl");
        const result = await exportHandoff({dir: run, to: "prodigy", out, choices: LABELS});
        expect(result).toMatchObject({records: 4, skipped: 1, files: [out]});
        const tasks = readJsonl(out);
        expect(tasks.map((task) => (task.meta as {idx: number}).idx)).toEqual([0, 1, 2, 4]);
        const first = tasks[0]!;
        expect(first).toMatchObject({
            text: "love it",
            options: LABELS.map((label) => ({id: label, text: label})),
            accept: ["positive"],
            meta: {idx: 0, product: "lamp", stars: 5, model: "tiny.gguf", answer: "positive", field: "label"}
        });
        expect(Number.isInteger(first._input_hash)).toBe(true);
        // rows 0 and 2 have the same text and answer: still two rows, so two inputs and two tasks
        expect(tasks[2]!._input_hash).not.toBe(first._input_hash);
        expect(tasks[2]!._task_hash).not.toBe(first._task_hash);
        expect(tasks[1]!._input_hash).not.toBe(first._input_hash);
        // the same export again gives the same hashes
        const again = readJsonl((await exportHandoff({dir: run, to: "prodigy", out: path.join(tempDir(), "again.jsonl"), choices: LABELS})).files[0]!);
        expect(again.map((task) => task._task_hash)).toEqual(tasks.map((task) => task._task_hash));
    });

    test("a boolean answer is a binary task (label), free text prefills user_input; --text picks the shown column", async () => {
        const dir = await writeRun(path.join(tempDir(), "bin"), [
            {idx: 0, columns: {title: "T0", body: "B0"}, answer: {spam: true, summary: "short"}},
            {idx: 1, columns: {title: "T1", body: "B1"}, answer: {spam: false, summary: "long one"}}
        ]);
        const binary = readJsonl((await exportHandoff({dir, to: "prodigy", out: path.join(tempDir(), "b.jsonl"), field: "spam", text: "body"})).files[0]!);
        expect(binary[0]).toMatchObject({text: "B0", label: "spam", meta: {idx: 0, title: "T0", answer: true}});
        expect(binary[0]).not.toHaveProperty("options");
        const text = readJsonl((await exportHandoff({dir, to: "prodigy", out: path.join(tempDir(), "t.jsonl"), field: "summary"})).files[0]!);
        expect(text[1]).toMatchObject({text: "T1", user_input: "long one", meta: {idx: 1, body: "B1"}});
        await expect(exportHandoff({dir, to: "prodigy", out: path.join(tempDir(), "x.jsonl"), field: "nope"})).rejects.toThrow(
            new AnswerFieldError("--field nope is not a field of the answers (they have spam, summary); pass one of those")
        );
    });
});

describe("exportHandoff tables", () => {
    test("csv: one row per idx in input order, annotation.<key> columns, RFC 4180 quoting, failed rows with --include-errors", async () => {
        const out = path.join(tempDir(), "rows.csv");
        const result = await exportHandoff({dir: run, to: "csv", out, includeErrors: true});
        expect(result).toMatchObject({records: 5, skipped: 0});
        const lines = fs.readFileSync(out, "utf8").split("\r\n");
        expect(lines[0]).toBe(
            "idx,text,product,stars,annotation.label,annotation.confidence,finish_reason,prompt_tokens,completion_tokens,attempts,model,error"
        );
        expect(lines[1]).toBe("0,love it,lamp,5,positive,0.8,stop,10,4,1,tiny.gguf,");
        expect(lines[2]).toBe("1,broke after a day,kettle,1,negative,0.9,stop,11,4,1,tiny.gguf,");
        expect(lines[4]).toBe("3,,,,,,length,,,3,tiny.gguf,answer does not match the schema");
        expect(lines[5]).toBe('4,"fine, I guess",lamp,3,neutral,0.5,stop,14,4,1,tiny.gguf,');
        expect(lines.length).toBe(7);
    });

    test("jsonl with no --out goes to <dir>/export/data.jsonl; an unfinished run is refused unless allowIncomplete", async () => {
        const result = await exportHandoff({dir: run, to: "jsonl"});
        expect(result.files).toEqual([path.resolve(run, "export", "data.jsonl")]);
        expect(readJsonl(result.files[0]!).map((row) => row.idx)).toEqual([0, 1, 2, 4]);

        const partial = await writeRun(path.join(tempDir(), "partial"), ROWS.slice(0, 2), {complete: false});
        await expect(exportHandoff({dir: partial, to: "prodigy"})).rejects.toThrow(IncompleteRunError);
        expect((await exportHandoff({dir: partial, to: "prodigy", allowIncomplete: true, choices: LABELS})).records).toBe(2);
    });
});

describe("exportHandoff of a comparison (compare.json + models/<id>/)", () => {
    let compare: string;
    beforeAll(async () => {
        compare = await writeComparison(path.join(tempDir(), "compare"), [
            {
                id: "small",
                model: "small.gguf",
                rows: [
                    {idx: 1, columns: {text: "t1"}, answer: {label: "negative"}},
                    {idx: 0, columns: {text: "t0"}, answer: {label: "positive"}},
                    {idx: 2, columns: {text: "t2"}, answer: {label: "neutral"}}
                ]
            },
            {
                id: "large",
                model: "large.gguf",
                rows: [
                    {idx: 0, columns: {text: "t0"}, answer: {label: "positive"}},
                    {idx: 2, failed: "no valid JSON"},
                    {idx: 1, columns: {text: "t1"}, answer: {label: "positive"}}
                ]
            },
            {
                id: "judge",
                model: "judge.gguf",
                rows: [
                    {idx: 0, columns: {text: "t0"}, answer: {label: "negative"}},
                    {idx: 1, columns: {text: "t1"}, answer: {label: "positive"}},
                    {idx: 2, columns: {text: "t2"}, answer: {label: "neutral"}}
                ]
            }
        ]);
    });

    test("Argilla: one record per idx, each model's answer a field, a rating question per answer, a better question, the majority on the main question", async () => {
        const result = await exportHandoff({dir: compare, to: "argilla", schema: {type: "object", properties: {label: {enum: LABELS}}}});
        expect(result.files[0]).toBe(path.resolve(compare, "export", "argilla", "records.json"));
        const records = readJson<ArgillaRecord[]>(result.files[0]!);
        expect(records.map((record) => record.id)).toEqual(["0", "1", "2"]);
        expect(records[1]!.suggestions).toEqual({label: {value: "positive", score: 2 / 3, agent: "large.gguf + judge.gguf"}});
        expect(records[1]!.fields).toEqual({
            text: "t1",
            response_small: JSON.stringify({label: "negative"}, null, 2),
            response_large: JSON.stringify({label: "positive"}, null, 2),
            response_judge: JSON.stringify({label: "positive"}, null, 2)
        });
        expect(records[2]!.fields.response_large).toBe("(failed: no valid JSON)");
        expect(records[2]!.metadata).toMatchObject({idx: 2, "large-ok": "no", "small-ok": "yes", agreement: "disagree"});
        expect(result.failed).toBe(1);
        const settings = readJson<ArgillaSettings>(result.files[1]!);
        expect(settings.questions.map((question) => [question.name, question.type, question.required])).toEqual([
            ["label", "label_selection", true],
            ["rating_small", "rating", false],
            ["rating_large", "rating", false],
            ["rating_judge", "rating", false],
            ["better", "label_selection", false]
        ]);
        expect(settings.fields.map((field) => field.name)).toEqual(["text", "response_small", "response_large", "response_judge"]);
    });

    test("Prodigy: the majority pre-accepted, every model's answer in meta", async () => {
        const tasks = readJsonl((await exportHandoff({dir: compare, to: "prodigy", choices: LABELS})).files[0]!);
        expect(tasks[0]).toMatchObject({
            text: "t0",
            accept: ["positive"],
            meta: {idx: 0, models: "small.gguf, large.gguf, judge.gguf", answers: {small: "positive", large: "positive", judge: "negative"}}
        });
        expect((tasks[2]!.meta as {answers: Record<string, unknown>}).answers.large).toBe("failed: no valid JSON");
    });

    test("parquet: one row per idx with a response_<id> and error_<id> column per model", async () => {
        const out = path.join(tempDir(), "wide.parquet");
        await exportHandoff({dir: compare, to: "parquet", out});
        const bytes = fs.readFileSync(out);
        const rows = await parquetReadObjects({file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer});
        expect(rows.map((row) => Number(row.idx))).toEqual([0, 1, 2]);
        expect(Object.keys(rows[0]!)).toEqual([
            "idx",
            "text",
            "response_small",
            "error_small",
            "response_large",
            "error_large",
            "response_judge",
            "error_judge"
        ]);
        expect(rows[2]!.error_large).toBe("no valid JSON");
        expect(rows[2]!.response_large).toBeNull();
        const small = rows[1]!.response_small;
        expect(typeof small === "string" ? JSON.parse(small) : small).toEqual({label: "negative"});
    });
});

describe("the kind of answer, read from the answers when no schema is given", () => {
    const kindOf = async (answers: unknown[]) => {
        const dir = await writeRun(
            path.join(tempDir(), "kind"),
            answers.map((answer, idx) => ({idx, columns: {text: `t${idx}`}, answer}))
        );
        return (await exportHandoff({dir, to: "prodigy", out: path.join(tempDir(), "k.jsonl")})).field;
    };

    test("labels when 2..20 short values repeat; a scale when integers 0..10 span two values at least; else a number or free text", async () => {
        expect(await kindOf(["yes", "no", "yes", "no"])).toMatchObject({key: null, name: "label", kind: "label", labels: ["no", "yes"], source: "answers"});
        expect(await kindOf(["yes", "yes", "yes"])).toMatchObject({kind: "text"});
        expect(await kindOf(["a summary", "another one"])).toMatchObject({name: "answer", kind: "text"});
        expect(await kindOf([{score: 2}, {score: 5}])).toMatchObject({key: "score", kind: "rating", values: [2, 3, 4, 5]});
        expect(await kindOf([{score: 4}, {score: 4}])).toMatchObject({kind: "number"});
        expect(await kindOf([{score: 0.25}, {score: 12}])).toMatchObject({kind: "number"});
        expect(await kindOf([true, false])).toMatchObject({name: "label", kind: "binary"});
    });
});
