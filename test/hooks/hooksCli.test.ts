import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {jobFixture, readJsonlDir, runCli} from "../support/fixtures.js";

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture([{text: "good"}, {text: "bad"}, {text: "fine"}]));
    fs.writeFileSync(
        path.join(dir, "hooks.mjs"),
        [
            "export const prompt = (row) => `Is this positive: ${row.text ?? row.prompt}?`;",
            "export const validate = (row) => (row.text ?? row.prompt) !== 'bad' || 'bad rows are rejected';",
            "export const parse = (row, answer) => ({verdict: answer, word: row.text ?? row.prompt});",
            ""
        ].join("\n")
    );
});

describe("--hooks on the command line", () => {
    test("run --hooks: parse shapes the stored annotation, validate rejections land in the errors file", async () => {
        const output = path.join(dir, "out-run");
        const result = await runCli([
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "--choices",
            "yes,no",
            "--hooks",
            path.join(dir, "hooks.mjs"),
            "--max-tokens",
            "8"
        ]);
        expect(result.code).toBe(0);
        const rows = readJsonlDir(path.join(output, "data")).sort((a, b) => (a.idx as number) - (b.idx as number));
        expect(rows.map((r) => r.annotation)).toEqual([
            {verdict: expect.stringMatching(/^(yes|no)$/u), word: "good"},
            {verdict: expect.stringMatching(/^(yes|no)$/u), word: "fine"}
        ]);
        expect(readJsonlDir(path.join(output, "errors"))).toMatchObject([
            {idx: 1, stage: "validate", reason: "rejected by the validate hook: bad rows are rejected (after 3 attempts)"}
        ]);
    });

    test("hooks in a job file, for generate", async () => {
        const output = path.join(dir, "out-gen");
        const config = path.join(dir, "gen.json");
        fs.writeFileSync(config, JSON.stringify({prompt: ["good", "fine"], count: 2, hooks: path.join(dir, "hooks.mjs"), model, output, maxTokens: 4}));
        const result = await runCli(["generate", "--config", config, "-q"]);
        expect(result.code).toBe(0);
        const rows = readJsonlDir(path.join(output, "data"));
        expect(rows).toHaveLength(4);
        for (const row of rows) expect(row.annotation).toEqual({verdict: expect.any(String), word: row.prompt});
    });

    test("prepare --hooks shows the hook's prompts", async () => {
        const result = await runCli([
            "prepare",
            "-i",
            input,
            "-m",
            model,
            "-o",
            path.join(dir, "out-prepare"),
            "--hooks",
            path.join(dir, "hooks.mjs"),
            "--sort",
            "none",
            "--json"
        ]);
        expect(result.code).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({rows: 3, toGenerate: 3, firstPrompt: "Is this positive: good?"});
    });

    test("a missing hooks file is one line and exit 1, before any model loads", async () => {
        const result = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "out-missing"), "--hooks", "no/such/hooks.mjs"]);
        expect(result.stderr).toBe("airlabel: hooks file no/such/hooks.mjs not found; check the --hooks path\n");
        expect(result.code).toBe(1);
    });

    test("a module with a syntax error is one line naming the file", async () => {
        fs.writeFileSync(path.join(dir, "broken.mjs"), "export function validate( {\n");
        const result = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "out-broken"), "--hooks", path.join(dir, "broken.mjs")]);
        expect(result.stderr).toMatch(
            /^airlabel: hooks file .*broken\.mjs cannot be imported \(SyntaxError: [^\n]+\); it must be an ES module \(\.mjs, or \.js in a "type": "module" package\)\n$/u
        );
        expect(result.code).toBe(1);
    });
});
