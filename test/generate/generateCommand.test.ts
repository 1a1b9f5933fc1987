import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {generatedModel, readJsonlDir, runCli, tempDir} from "../support/fixtures.js";

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
    fs.writeFileSync(path.join(dir, "prompts.txt"), "Write a haiku about rain\nName three colours\n");
    fs.writeFileSync(path.join(dir, "prefix.txt"), "Answer in English.\n");
});

describe("airlabel generate", () => {
    test("--prompts with --count and --prefix-file writes the run layout; the same command resumes", async () => {
        const output = path.join(dir, "out");
        const args = [
            "generate",
            "--prompts",
            path.join(dir, "prompts.txt"),
            "--count",
            "3",
            "-m",
            model,
            "-o",
            output,
            "--max-tokens",
            "8",
            "--prefix-file",
            path.join(dir, "prefix.txt"),
            "--seed",
            "5"
        ];
        const first = await runCli(args);
        expect(first.stderr).toContain("done: 6 answered, 0 failed, 0 already committed, of 6 rows");
        expect(first.stderr).toMatch(/prompt reuse: \d+ of \d+ prompt tokens evaluated/u);
        expect(first.code).toBe(0);
        const rows = readJsonlDir(path.join(output, "data")).sort((a, b) => (a.idx as number) - (b.idx as number));
        expect(rows.map((r) => [r.idx, r.prompt_idx, r.sample, r.prompt])).toEqual([
            [0, 0, 0, "Write a haiku about rain"],
            [1, 1, 0, "Name three colours"],
            [2, 0, 1, "Write a haiku about rain"],
            [3, 1, 1, "Name three colours"],
            [4, 0, 2, "Write a haiku about rain"],
            [5, 1, 2, "Name three colours"]
        ]);
        expect(fs.existsSync(path.join(output, "manifest.json"))).toBe(true);
        const second = await runCli(args);
        expect(second.code).toBe(0);
        expect(second.stderr).toContain("done: 0 answered, 0 failed, 6 already committed, of 6 rows");
    });

    test("repeated --prompt and --json", async () => {
        const output = path.join(dir, "out-inline");
        const result = await runCli(["generate", "--prompt", "one", "--prompt", "two", "-n", "2", "-m", model, "-o", output, "--max-tokens", "4", "--json"]);
        expect(result.code).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({totalRows: 4, okRows: 4, complete: true});
    });

    test.each([
        [
            ["--prompt", "a", "--count", "2", "--temperature", "0"],
            "airlabel: temperature 0 (greedy) with count 2 would give 2 identical samples of every prompt; raise the temperature (e.g. --temperature 0.8) or use --count 1\n"
        ],
        [["--count", "2"], 'airlabel: generate needs prompts: --prompt "..." (repeatable) or --prompts file\n'],
        [["--prompt", "a", "--prompts", "p.txt"], "airlabel: --prompt and --prompts cannot be used together; give the prompts one way\n"],
        [
            ["--prompt", "a", "--prefix", "x", "--prefix-file", "p.txt"],
            "airlabel: --prefix and --prefix-file cannot be used together; give the prefix one way\n"
        ]
    ])("%j is refused with exit code 2 and one line", async (extra, message) => {
        const result = await runCli(["generate", ...extra, "-m", model, "-o", path.join(dir, "out-refused")]);
        expect(result.stderr).toBe(message);
        expect(result.code).toBe(2);
    });

    test("a config file holds the generate options (prompt list, count, prefix)", async () => {
        const config = path.join(dir, "gen.yaml");
        const output = path.join(dir, "out-config");
        fs.writeFileSync(
            config,
            ["prompt:", "  - first", "  - second", "count: 2", "prefix: 'Shared words.'", "maxTokens: 4", `model: ${model}`, `output: ${output}`, ""].join("\n")
        );
        const result = await runCli(["generate", "--config", config, "-q"]);
        expect(result.code).toBe(0);
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((r) => r.prompt)
                .sort()
        ).toEqual(["first", "first", "second", "second"]);
    });
});
