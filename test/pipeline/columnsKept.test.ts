import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {generatedModel, readJsonlDir, runCli, tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer} from "../backends/support/FakeOpenAIServer.js";

let model: string;
beforeAll(async () => {
    model = await generatedModel();
});

function run(input: string, output: string, ...extra: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
    return runCli([
        "run",
        "-i",
        input,
        "-m",
        model,
        "-o",
        output,
        "-p",
        "Label: {text}",
        "--choices",
        "good,bad",
        "--max-tokens",
        "16",
        "--context-size",
        "128",
        "--gpu",
        "cpu",
        "--parallel",
        "2",
        "-q",
        ...extra
    ]);
}

const reserved = "idx, annotation, finish_reason, prompt_tokens, completion_tokens, attempts, model, confidence";

describe("input columns are never overwritten by airlabel's own", () => {
    test("an input with idx, annotation, model and attempts columns is refused in one line naming the column and --keep-columns; nothing is written", async () => {
        const dir = tempDir();
        const input = writeJsonl(path.join(dir, "in.jsonl"), [
            {idx: "ID-77", text: "a", annotation: "gold-label-positive", model: "human", attempts: "3 reviewers"},
            {idx: "ID-78", text: "b", annotation: "gold-label-negative", model: "human", attempts: "1 reviewer"}
        ]);
        const output = path.join(dir, "out");
        const result = await run(input, output);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr.split("\n").filter((l) => l !== "")).toEqual([
            `airlabel: ${input}: input column "annotation" has the name of a column airlabel writes itself (${reserved}), which would replace its values; ` +
                `rename the column in ${input}, or leave it out with --keep-columns (e.g. --keep-columns text)`
        ]);
        expect(fs.existsSync(path.join(output, "data"))).toBe(false);
        expect(fs.existsSync(path.join(output, "manifest.json"))).toBe(false);

        // naming one of them in --keep-columns is refused too; leaving them out runs, and the output's own columns are airlabel's
        const named = await run(input, output, "--keep-columns", "text,model");
        expect(named.code, named.stderr).toBe(1);
        expect(named.stderr).toContain(
            `airlabel: --keep-columns names "model", a column airlabel writes itself (${reserved}), which would replace its values; leave it out of --keep-columns, or rename the column in ${input}`
        );
        const kept = await run(input, output, "--keep-columns", "text");
        expect(kept.code, kept.stderr).toBe(0);
        const rows = readJsonlDir(path.join(output, "data"));
        expect(rows.map((row) => [row.idx, row.text, row.model])).toEqual([
            [0, "a", "model-1000000-q8_0.gguf"],
            [1, "b", "model-1000000-q8_0.gguf"]
        ]);
    });

    test("an idx column holding each row's own position (a dataset's row numbers) is kept; one holding other values is refused at the first row that differs", async () => {
        const dir = tempDir();
        const numbered = writeJsonl(path.join(dir, "numbered.jsonl"), [
            {idx: 0, text: "a"},
            {idx: 1, text: "b"},
            {idx: 2, text: "c"}
        ]);
        const kept = await run(numbered, path.join(dir, "out"));
        expect(kept.code, kept.stderr).toBe(0);
        expect(readJsonlDir(path.join(dir, "out", "data")).map((row) => [row.idx, row.text])).toEqual([
            [0, "a"],
            [1, "b"],
            [2, "c"]
        ]);
        const ids = writeJsonl(path.join(dir, "ids.jsonl"), [
            {idx: 0, text: "a"},
            {idx: "ID-77", text: "b"}
        ]);
        const refused = await run(ids, path.join(dir, "out-ids"));
        expect(refused.code, refused.stderr).toBe(1);
        expect(refused.stderr.split("\n").filter((l) => l !== "")).toEqual([
            `airlabel: ids.jsonl line 2: input column "idx" holds "ID-77", not the row's idx that airlabel writes in that column; rename the column in ${ids}, or leave it out with --keep-columns (e.g. --keep-columns text)`
        ]);
        expect(fs.existsSync(path.join(dir, "out-ids", "data"))).toBe(false);
    });

    test("a column first seen past the rows the reader inferred columns from is kept, not dropped; a reserved one there is refused naming the line", async () => {
        const dir = tempDir();
        const rows = Array.from({length: 130}, (_, i) => ({text: `row ${i}`, ...(i === 120 ? {note: "late"} : {})}));
        const input = writeJsonl(path.join(dir, "in.jsonl"), rows);
        const output = path.join(dir, "out");
        const result = await run(input, output);
        expect(result.code, result.stderr).toBe(0);
        const written = readJsonlDir(path.join(output, "data"));
        expect(written.find((row) => row.idx === 120)).toMatchObject({text: "row 120", note: "late"});
        expect(written.filter((row) => row.note === "late")).toHaveLength(1);

        const clash = writeJsonl(
            path.join(dir, "clash.jsonl"),
            rows.map((row, i) => (i === 125 ? {...row, annotation: "gold"} : row))
        );
        const refused = await run(clash, path.join(dir, "out-clash"));
        expect(refused.code, refused.stderr).toBe(1);
        expect(refused.stderr).toMatch(/^airlabel: clash\.jsonl line 126: input column "annotation" has the name of a column airlabel writes itself/u);
    });
});

describe("failed rows keep their input columns in errors/", () => {
    let server: FakeOpenAIServer;
    beforeAll(async () => {
        server = await FakeOpenAIServer.start({script: (r) => (r.prompt === "Label: bad answer" ? {answer: "not json"} : undefined)});
    });
    afterAll(async () => {
        await server.close();
    });

    test("prepare failures (prompt too long, --dedup, a missing field), a refused request and an invalid answer: every input column under `columns`; export --include-errors has them", async () => {
        const dir = tempDir();
        const input = writeJsonl(path.join(dir, "in.jsonl"), [
            {id: "a-1", text: "fine", reason: "user's reason", response: "user's response", location: "Berlin"},
            {id: "a-2", text: `too long ${"word ".repeat(80)}`, reason: "r2", response: "s2", location: "Paris"},
            {id: "a-3", text: "fine", reason: "r3", response: "s3", location: "Rome"},
            {id: "a-4", reason: "r4", response: "s4", location: "Oslo"},
            {id: "a-5", text: "bad answer", reason: "r5", response: "s5", location: "Lima"}
        ]);
        const output = path.join(dir, "out");
        const local = await run(input, output, "--dedup", "--skip-invalid-rows");
        expect(local.code, local.stderr).toBe(0);
        const errors = readJsonlDir(path.join(output, "errors"));
        expect(errors.map((error) => [error.idx, error.stage, error.columns])).toEqual([
            [1, "prepare", {id: "a-2", text: `too long ${"word ".repeat(80)}`, reason: "r2", response: "s2", location: "Paris"}],
            [2, "prepare", {id: "a-3", text: "fine", reason: "r3", response: "s3", location: "Rome"}],
            [3, "prepare", {id: "a-4", text: null, reason: "r4", response: "s4", location: "Oslo"}]
        ]);
        // airlabel's own fields of the errors record are untouched by the input's reason/response/location columns
        expect(errors[1]).toMatchObject({reason: "duplicate of row idx 0 (--dedup)", response: null});

        const schema = path.join(dir, "schema.json");
        fs.writeFileSync(schema, JSON.stringify({type: "object", properties: {label: {enum: ["a", "b"]}}, required: ["label"]}));
        const remote = path.join(dir, "remote");
        const result = await runCli([
            "run",
            "-i",
            input,
            "-o",
            remote,
            "--backend",
            "openai",
            "--base-url",
            server.url,
            "-m",
            "fake-model",
            "-p",
            "Label: {text}",
            "-s",
            schema,
            "--retries-invalid",
            "0",
            "--skip-invalid-rows",
            "-q"
        ]);
        expect(result.code, result.stderr).toBe(0);
        const failed = readJsonlDir(path.join(remote, "errors")).find((error) => error.idx === 4);
        expect(failed).toMatchObject({
            stage: "validate",
            response: "not json",
            columns: {id: "a-5", text: "bad answer", reason: "r5", response: "s5", location: "Lima"}
        });

        const target = path.join(dir, "export.jsonl");
        const exported = await runCli(["export", remote, "--to", target, "--include-errors"]);
        expect(exported.code, exported.stderr).toBe(0);
        const lines = fs
            .readFileSync(target, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(lines.find((line) => line.idx === 4)).toMatchObject({id: "a-5", text: "bad answer", location: "Lima", annotation: null});
    });
});
