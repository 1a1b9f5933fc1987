import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {InvalidOptionError} from "../../src/AirlabelError.js";
import {generate} from "../../src/pipeline/generate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {FakeOpenAIServer} from "../backends/support/FakeOpenAIServer.js";
import {generatedModel, storiesModel, tempDir} from "../support/fixtures.js";

const prompts = ["Write a short story about a cat", "Name a fruit", "Describe the sea"];

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

type Row = Record<string, unknown>;

function byIdx(rows: Row[]): Row[] {
    return [...rows].sort((a, b) => (a.idx as number) - (b.idx as number));
}

describe("generate (real engine, generated model)", () => {
    test("count samples of every prompt, exactly once, each row carrying prompt, prompt_idx and sample", async () => {
        const output = path.join(dir, "out-basic");
        const result = await generate({prompts, count: 3, model, output, maxTokens: 12, parallel: 4, shardSize: 4});
        expect(result).toMatchObject({totalRows: 9, okRows: 9, failedRows: 0, complete: true});
        const out = await readOutput(output);
        expect(out.errors).toEqual([]);
        const rows = byIdx(out.rows);
        expect(rows.map((r) => [r.idx, r.prompt, r.prompt_idx, r.sample])).toEqual(
            [0, 1, 2].flatMap((sample) => prompts.map((prompt, p) => [sample * prompts.length + p, prompt, p, sample]))
        );
        for (const row of rows) expect(typeof row.annotation).toBe("string");
        // the default temperature (0.8) with a different seed per sample: the samples of a prompt differ
        for (let p = 0; p < prompts.length; p++) expect(new Set(rows.filter((r) => r.prompt_idx === p).map((r) => r.annotation)).size).toBe(3);
        const manifest = JSON.parse(fs.readFileSync(path.join(output, "manifest.json"), "utf8")) as {complete: boolean; shards: unknown[]};
        expect(manifest.complete).toBe(true);
    });

    test("sample s of every prompt uses seed + s: a sample is the same whatever the count and the parallelism", async () => {
        // CPU: llama.cpp's CPU kernels give a sequence the same logits whatever else shares its batch
        const common = {model, maxTokens: 16, gpu: "cpu" as const};
        await generate({...common, prompts, count: 4, seed: 10, parallel: 4, output: path.join(dir, "out-seed-a")});
        await generate({...common, prompts, count: 1, seed: 12, parallel: 1, output: path.join(dir, "out-seed-b")});
        const a = (await readOutput(path.join(dir, "out-seed-a"))).rows;
        const b = byIdx((await readOutput(path.join(dir, "out-seed-b"))).rows);
        expect(b.map((r) => r.annotation)).toEqual(prompts.map((_, p) => a.find((r) => r.prompt_idx === p && r.sample === 2)!.annotation));
        // and not the same as another sample
        expect(b[0]!.annotation).not.toEqual(a.find((r) => r.prompt_idx === 0 && r.sample === 1)!.annotation);
    });

    test("a stopped run resumes by idx; a raised count generates only the new samples; a lowered one keeps them and says so", async () => {
        const output = path.join(dir, "out-resume");
        const options = {prompts, count: 4, model, output, maxTokens: 12, parallel: 2, shardSize: 3};
        const controller = new AbortController();
        const first = await generate({
            ...options,
            signal: controller.signal,
            onProgress: (p) => {
                if (p.doneRows >= 4) controller.abort();
            }
        });
        expect(first).toMatchObject({stopped: true, complete: false});
        const second = await generate(options);
        expect(second).toMatchObject({resumedRows: first.doneRows, doneRows: 12 - first.doneRows, complete: true});
        const rows = (await readOutput(output)).rows;
        expect(rows.map((r) => r.idx).sort((x, y) => (x as number) - (y as number))).toEqual(Array.from({length: 12}, (_, i) => i));
        const more = await generate({...options, count: 6});
        expect(more).toMatchObject({totalRows: 18, resumedRows: 12, doneRows: 6, complete: true});
        const grown = (await readOutput(output)).rows;
        expect(grown.map((r) => r.idx).sort((x, y) => (x as number) - (y as number))).toEqual(Array.from({length: 18}, (_, i) => i));
        expect(grown.filter((r) => (r.sample as number) >= 4).map((r) => [r.prompt_idx, r.sample]).length).toBe(prompts.length * 2);
        const lowered = await generate({...options, count: 3});
        expect(lowered).toMatchObject({totalRows: 9, doneRows: 0, complete: true, inputChanges: {removed: 9, removedIdx: [9, 10, 11, 12, 13, 14, 15, 16, 17]}});
        expect((await readOutput(output)).rows).toHaveLength(18);
    });

    test("temperature 0 with count > 1 is refused before anything runs (the samples would be identical); count 1 is fine", async () => {
        const output = path.join(dir, "out-greedy");
        await expect(generate({prompts, count: 2, temperature: 0, model, output})).rejects.toThrow(InvalidOptionError);
        await expect(generate({prompts, count: 2, temperature: 0, model, output})).rejects.toThrow(
            "temperature 0 (greedy) with count 2 would give 2 identical samples of every prompt; raise the temperature (e.g. --temperature 0.8) or use --count 1"
        );
        expect(fs.existsSync(output)).toBe(false);
        const result = await generate({prompts, count: 1, temperature: 0, model, output, maxTokens: 8});
        expect(result).toMatchObject({okRows: 3, complete: true});
    });

    test("a shared prefix is evaluated once per engine sequence, not once per row (prompt tokens evaluated, counted)", async () => {
        const prefix = "Follow these rules when you write: be brief, be kind, use simple words. ".repeat(4);
        const common = {prompts, count: 4, model, maxTokens: 6, parallel: 2};
        const plain = await generate({...common, output: path.join(dir, "out-noprefix")});
        const prefixed = await generate({...common, prefix, output: path.join(dir, "out-prefix")});
        const rows = 12;
        const prefixTokens = (prefixed.promptTokens - plain.promptTokens) / rows;
        expect(prefixTokens).toBeGreaterThan(100);
        // what the prefix added to the evaluated tokens: at most one prefix per sequence (2), not one per row (12)
        expect(prefixed.evaluatedPromptTokens - plain.evaluatedPromptTokens).toBeLessThanOrEqual(2 * prefixTokens + rows);
        expect(prefixed.evaluatedPromptTokens).toBeLessThan(prefixed.promptTokens / 3);
        const first = (await readOutput(path.join(dir, "out-prefix"))).rows[0]!;
        expect(first.prompt).not.toContain("Follow these rules");
    });

    test("prompts from a file: plain text (one per line, blank lines skipped) and JSONL; bad files get one-line errors", async () => {
        const text = path.join(dir, "prompts.txt");
        fs.writeFileSync(text, "first prompt\r\n\nsecond prompt\n");
        const jsonl = path.join(dir, "prompts.jsonl");
        fs.writeFileSync(jsonl, `"first prompt"\n{"prompt": "line\\nbreak"}\n`);
        const fromText = await generate({promptsFile: text, model, output: path.join(dir, "out-file-txt"), maxTokens: 4});
        expect(byIdx((await readOutput(path.join(dir, "out-file-txt"))).rows).map((r) => r.prompt)).toEqual(["first prompt", "second prompt"]);
        expect(fromText.totalRows).toBe(2);
        await generate({promptsFile: jsonl, model, output: path.join(dir, "out-file-jsonl"), maxTokens: 4});
        expect(byIdx((await readOutput(path.join(dir, "out-file-jsonl"))).rows).map((r) => r.prompt)).toEqual(["first prompt", "line\nbreak"]);
        const bad = path.join(dir, "bad.jsonl");
        fs.writeFileSync(bad, `"ok"\n{"text": "no prompt"}\n`);
        await expect(generate({promptsFile: bad, model, output: path.join(dir, "out-bad")})).rejects.toThrow(
            `${bad} line 2: not a prompt; each line must be a non-empty JSON string or {"prompt": "..."}`
        );
        await expect(generate({promptsFile: path.join(dir, "missing.txt"), model, output: path.join(dir, "out-bad")})).rejects.toThrow(
            /prompts file .*missing\.txt not found; check the --prompts path/u
        );
        await expect(generate({model, output: path.join(dir, "out-bad")})).rejects.toThrow(
            "generate needs prompts: options.prompts (--prompt) or options.promptsFile (--prompts)"
        );
    });

    test.runIf(fs.existsSync(storiesModel))("stories260K (real tokenizer, no chat template): samples with a schema", async () => {
        const output = path.join(dir, "out-stories");
        const schema = {
            type: "object",
            properties: {title: {type: "string", maxLength: 12}, happy: {type: "boolean"}},
            required: ["title", "happy"],
            additionalProperties: false
        };
        const result = await generate({
            prompts: ["Once upon a time", "The dog"],
            count: 3,
            model: storiesModel,
            output,
            schema,
            maxTokens: 48,
            prefix: "A story:"
        });
        expect(result).toMatchObject({totalRows: 6, complete: true});
        const out = await readOutput(output);
        expect(out.rows.length + out.errors.length).toBe(6);
        for (const row of out.rows) expect(row.annotation).toMatchObject({title: expect.any(String), happy: expect.any(Boolean)});
    });
});

describe("generate on an OpenAI-compatible server", () => {
    let server: FakeOpenAIServer;
    beforeAll(async () => {
        server = await FakeOpenAIServer.start();
    });
    afterAll(async () => {
        await server.close();
    });

    test("each sample is one request with seed + sample and the prefix before the prompt", async () => {
        const output = path.join(dir, "out-remote");
        const result = await generate({
            prompts: ["alpha", "beta"],
            count: 3,
            seed: 100,
            prefix: "Shared.",
            backend: "openai",
            baseUrl: server.url,
            model: "fake-model",
            output,
            maxTokens: 8
        });
        expect(result).toMatchObject({okRows: 6, complete: true, backend: "openai"});
        const sent = server.requests
            .filter((r) => !r.isProbe)
            .map((r) => [r.prompt, r.body.seed])
            .sort();
        expect(sent).toEqual([
            ["Shared.\nalpha", 100],
            ["Shared.\nalpha", 101],
            ["Shared.\nalpha", 102],
            ["Shared.\nbeta", 100],
            ["Shared.\nbeta", 101],
            ["Shared.\nbeta", 102]
        ]);
    });
});
