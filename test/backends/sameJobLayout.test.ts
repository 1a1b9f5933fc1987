import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {generatedModel, readJsonlDir, runCli, tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer} from "./support/FakeOpenAIServer.js";

const rows = Array.from({length: 14}, (_, i) => ({id: `r${i}`, text: `item ${i} ${"x".repeat(i % 6)}`, extra: i}));
let dir: string;
let job: string;
let model: string;
let server: FakeOpenAIServer;
beforeAll(async () => {
    model = await generatedModel();
    server = await FakeOpenAIServer.start();
    dir = tempDir();
    const input = writeJsonl(path.join(dir, "in.jsonl"), rows);
    fs.writeFileSync(path.join(dir, "template.txt"), "Classify: {text}");
    fs.writeFileSync(
        path.join(dir, "schema.json"),
        JSON.stringify({
            type: "object",
            properties: {label: {enum: ["yes", "no"]}, sure: {type: "boolean"}},
            required: ["label", "sure"],
            additionalProperties: false
        })
    );
    job = path.join(dir, "job.yaml");
    fs.writeFileSync(
        job,
        [
            `input: ${input}`,
            `template: ${path.join(dir, "template.txt")}`,
            `schema: ${path.join(dir, "schema.json")}`,
            "keepColumns: id,text",
            "maxTokens: 32",
            "shardSize: 4",
            "format: jsonl",
            ""
        ].join("\n")
    );
});
afterAll(async () => {
    await server.close();
});

/** Files of a run, relative to its output dir, without the prepared-rows cache (its name is a hash of the model). */
function layoutOf(output: string): string[] {
    return fs
        .readdirSync(output, {recursive: true, withFileTypes: true})
        .filter((e) => e.isFile())
        .map((e) => path.relative(output, path.join(e.parentPath, e.name)))
        .filter((f) => !f.startsWith("cache"))
        .sort();
}

describe("the same job file on the local engine and on an OpenAI-compatible server", () => {
    test("only the backend options change; the output layout, manifest and record columns are the same", async () => {
        const local = path.join(dir, "out-local");
        const remote = path.join(dir, "out-remote");
        const localRun = await runCli(["run", "--config", job, "-m", model, "-o", local, "--json"]);
        expect(localRun.code, localRun.stderr).toBe(0);
        const remoteRun = await runCli(["run", "--config", job, "--backend", "openai", "--base-url", server.url, "-m", "fake-model", "-o", remote, "--json"]);
        expect(remoteRun.code, remoteRun.stderr).toBe(0);
        for (const run of [localRun, remoteRun]) expect(JSON.parse(run.stdout)).toMatchObject({totalRows: 14, okRows: 14, complete: true});

        expect(layoutOf(remote)).toEqual(layoutOf(local));
        expect(layoutOf(remote)).toContain(path.join("data", "part-00000.jsonl"));
        const manifestOf = (dirName: string) => JSON.parse(fs.readFileSync(path.join(dirName, "manifest.json"), "utf8")) as Record<string, unknown>;
        expect(Object.keys(manifestOf(remote)).sort()).toEqual(Object.keys(manifestOf(local)).sort());
        const localRows = readJsonlDir(path.join(local, "data"));
        const remoteRows = readJsonlDir(path.join(remote, "data"));
        expect(remoteRows.map((r) => Object.keys(r))).toEqual(localRows.map((r) => Object.keys(r)));
        expect(remoteRows.map((r) => r.idx).sort()).toEqual(localRows.map((r) => r.idx).sort());
        expect(Object.keys(remoteRows[0]!)).toEqual([
            "idx",
            "id",
            "text",
            "annotation",
            "finish_reason",
            "prompt_tokens",
            "completion_tokens",
            "attempts",
            "model"
        ]);
        expect(remoteRows[0]!.model).toBe("fake-model");
        // resuming the finished remote run changes nothing
        const again = await runCli(["run", "--config", job, "--backend", "openai", "--base-url", server.url, "-m", "fake-model", "-o", remote, "--json"]);
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({resumedRows: 14, doneRows: 0, complete: true});
    });
});
