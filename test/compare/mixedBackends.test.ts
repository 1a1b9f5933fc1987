import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readComparison} from "../../src/compare/readComparison.js";
import {FakeOpenAIServer} from "../backends/support/FakeOpenAIServer.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

let server: FakeOpenAIServer;
beforeAll(async () => {
    server = await FakeOpenAIServer.start();
});
afterAll(async () => {
    await server.close();
});

describe("a comparison mixing a local model and an OpenAI-compatible server (models: in the job file)", () => {
    it("runs both on the same rows and joins them by idx", async () => {
        const model = await generatedModel();
        const dir = tempDir();
        const input = writeJsonl(
            path.join(dir, "in.jsonl"),
            Array.from({length: 5}, (_, i) => ({text: `item ${i} ${"x".repeat((i * 7) % 5)}`}))
        );
        const job = path.join(dir, "job.yaml");
        fs.writeFileSync(
            job,
            YAML.stringify({
                input,
                output: path.join(dir, "out"),
                prompt: "Classify: {text}",
                choices: ["yes", "no"],
                maxTokens: 16,
                models: [model, {name: "server", model: "fake-model", backend: "openai", baseUrl: server.url, concurrency: 2}]
            })
        );
        const run = await runCli(["run", job, "--json"]);
        expect(run.code, run.stderr).toBe(0);
        const summary = JSON.parse(run.stdout) as {complete: boolean; models: {id: string; result: {backend: string}}[]};
        expect(summary.complete).toBe(true);
        expect(summary.models.map((m) => [m.id, m.result.backend])).toEqual([
            [path.basename(model, ".gguf"), "local"],
            ["server", "openai"]
        ]);

        const {models, rows} = await readComparison(path.join(dir, "out"));
        expect(models.map((m) => [m.backend, m.baseUrl ?? null])).toEqual([
            ["local", null],
            ["openai", server.url]
        ]);
        expect(rows.map((r) => r.idx)).toEqual([0, 1, 2, 3, 4]);
        for (const row of rows) {
            expect(row.columns.text).toMatch(new RegExp(`^item ${row.idx} `, "u"));
            // the fake server answers the first enum value for every row that reached it
            expect(row.responses.server).toEqual({annotation: "yes", ok: true, reason: null});
        }
        const prompts = server.requests
            .filter((r) => !r.isProbe)
            .map((r) => r.prompt)
            .sort();
        expect(prompts).toEqual(rows.map((r) => `Classify: ${String(r.columns.text)}`).sort());
    });
});
