import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {generate} from "../../src/pipeline/generate.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// A run's output dir holds everything needed to run it again (DCFT's reannotate): the manifest records the resolved
// configuration (template and system texts, schema, every option, the versions, the model's path, size and hash), and
// `airlabel run --from DIR` re-runs exactly that.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as {identity: Record<string, string>; meta: Record<string, unknown>};

describe("run --from", () => {
    test("re-runs a finished run from its output dir alone, byte for byte at temperature 0, after its option files are gone", async () => {
        const input = writeJsonl(
            path.join(dir, "in.jsonl"),
            Array.from({length: 6}, (_, i) => ({text: `review ${i}`, stars: i % 5}))
        );
        const files = {template: path.join(dir, "template.txt"), system: path.join(dir, "system.txt"), schema: path.join(dir, "schema.json")};
        fs.writeFileSync(files.template, "Review: {text}\nStars: {stars}\n");
        fs.writeFileSync(files.system, "You label reviews.");
        fs.writeFileSync(files.schema, JSON.stringify({type: "object", properties: {label: {enum: ["good", "bad"]}}, required: ["label"]}));
        const output = path.join(dir, "first");
        const args = ["-i", input, "-m", model, "-t", files.template, "--system-file", files.system, "-s", files.schema];
        const first = await runCli(["run", "-o", output, ...args, "--max-tokens", "40", "--parallel", "1", "--seed", "5", "-q"]);
        expect(first.code, first.stderr).toBe(0);
        const recorded = read(path.join(output, "manifest.json")).meta.config as Record<string, unknown>;
        expect(recorded).toMatchObject({
            reproducible: true,
            airlabel: expect.any(String),
            engine: {nodeLlamaCpp: expect.stringMatching(/^\d+\.\d+\.\d+/u), llamaCpp: expect.any(String)},
            model: {path: model, bytes: fs.statSync(model).size, fingerprint: expect.stringMatching(/:sha256:/u)},
            options: {
                input,
                model,
                template: "Review: {text}\nStars: {stars}\n",
                system: "You label reviews.",
                schema: {type: "object", properties: {label: {enum: ["good", "bad"]}}, required: ["label"]},
                maxTokens: 40,
                parallel: 1,
                seed: 5
            }
        });
        // the option files are gone: the output dir alone is enough
        for (const file of Object.values(files)) fs.rmSync(file);
        const again = path.join(dir, "again");
        const rerun = await runCli(["run", "--from", output, "-o", again, "-q", "--json"]);
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(JSON.parse(rerun.stdout)).toMatchObject({okRows: 6, complete: true});
        expect(read(path.join(again, "manifest.json")).identity).toEqual(read(path.join(output, "manifest.json")).identity);
        const shards = (out: string) => fs.readdirSync(path.join(out, "data")).map((name) => fs.readFileSync(path.join(out, "data", name), "utf8"));
        expect(shards(again)).toEqual(shards(output));
        // --from its own dir: the run is complete, nothing to do
        const same = await runCli(["run", "--from", output, "-q", "--json"]);
        expect(JSON.parse(same.stdout)).toMatchObject({doneRows: 0, resumedRows: 6, complete: true});
    });

    test("a run that did not record its configuration, or a generate run, is refused in one line", async () => {
        const input = writeJsonl(path.join(dir, "old.jsonl"), [{text: "a"}]);
        const output = path.join(dir, "old");
        expect((await runCli(["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4", "-q"])).code).toBe(0);
        const manifest = read(path.join(output, "manifest.json"));
        delete manifest.meta.config;
        fs.writeFileSync(path.join(output, "manifest.json"), JSON.stringify(manifest));
        const old = await runCli(["run", "--from", output, "-o", path.join(dir, "old2")]);
        expect(old.code).toBe(1);
        expect(old.stderr.trim()).toBe(
            `airlabel: --from ${output}: that run was made by an airlabel that did not record its configuration; run it again with its original options`
        );
        const generated = path.join(dir, "generated");
        await generate({prompts: ["Write a word."], count: 1, model, output: generated, maxTokens: 4, temperature: 0});
        const fromGenerate = await runCli(["run", "--from", generated, "-o", path.join(dir, "gen2")]);
        expect(fromGenerate.stderr.trim()).toBe(
            `airlabel: --from ${generated}: that run cannot be re-run from its output dir: its rows were given in memory (airlabel generate, or the library's records option)`
        );
        const nothing = await runCli(["run", "--from", path.join(dir, "nothing")]);
        expect(nothing.stderr.trim()).toBe(
            `airlabel: --from ${path.join(dir, "nothing")}: ${path.join(dir, "nothing")}/ holds no airlabel run (no manifest.json); give the --output dir of a run`
        );
    });
});
