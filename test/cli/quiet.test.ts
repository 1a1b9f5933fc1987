import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {jobFixture, readJsonlDir, runCli} from "../support/fixtures.js";

// -q/--quiet: nothing on stderr but errors (no progress, no log lines, no final summary); stdout (--json) unchanged.
let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture([{text: "one"}, {text: "two"}, {text: "three"}]));
});

const runArgs = (output: string, ...extra: string[]) => [
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
    "a,b",
    "--max-tokens",
    "4",
    "--gpu",
    "cpu",
    ...extra
];

describe("-q/--quiet", () => {
    test("run: the summary lines go to stderr without it, and nothing at all with it", async () => {
        const loud = await runCli(runArgs(path.join(dir, "loud")));
        expect(loud.code, loud.stderr).toBe(0);
        expect(loud.stderr).toMatch(/^airlabel: done: 3 answered, 0 failed, 0 already committed, of 3 rows$/mu);

        const output = path.join(dir, "quiet");
        const quiet = await runCli(runArgs(output, "-q"));
        expect(quiet.code, quiet.stderr).toBe(0);
        expect(quiet.stderr).toBe("");
        expect(quiet.stdout).toBe("");
        expect(readJsonlDir(path.join(output, "data"))).toHaveLength(3);

        const resumed = await runCli(runArgs(output, "--quiet"));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toBe("");
    });

    test("run -q still warns: a damaged shard found on resume is named on stderr, and its rows are generated again", async () => {
        const output = path.join(dir, "damaged");
        expect((await runCli(runArgs(output, "-q", "--shard-size", "1"))).code).toBe(0);
        const shard = fs.readdirSync(path.join(output, "data")).sort()[0]!;
        fs.writeFileSync(path.join(output, "data", shard), "not the committed bytes\n");
        const resumed = await runCli(runArgs(output, "-q", "--shard-size", "1"));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr.trim().split("\n")).toEqual([
            expect.stringMatching(new RegExp(`^airlabel: committed shard .*data/${shard} .*; its 1 row will be generated again`, "u"))
        ]);
        expect(readJsonlDir(path.join(output, "data"))).toHaveLength(3);
    });

    test("run --json -q: the summary on stdout as before, stderr empty", async () => {
        const result = await runCli(runArgs(path.join(dir, "json"), "-q", "--json"));
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toBe("");
        expect(JSON.parse(result.stdout)).toMatchObject({totalRows: 3, okRows: 3, complete: true});
    });

    test("generate -q prints nothing (no summary, no prompt-reuse line)", async () => {
        const output = path.join(dir, "gen");
        const result = await runCli(["generate", "--prompt", "hello", "--count", "2", "-m", model, "-o", output, "--max-tokens", "4", "-q"]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toBe("");
        expect(readJsonlDir(path.join(output, "data"))).toHaveLength(2);
    });

    test("a job with steps, -q: nothing; without it, one line per step and the job line", async () => {
        const job = path.join(dir, "job.yaml");
        const output = path.join(dir, "job-out");
        fs.writeFileSync(
            job,
            [
                `input: ${input}`,
                `output: ${output}`,
                "maxTokens: 4",
                "steps:",
                "  - name: first",
                `    model: ${model}`,
                "    prompt: 'Label: {text}'",
                "    choices: [a, b]",
                ""
            ].join("\n")
        );
        const quiet = await runCli(["run", job, "-q"]);
        expect(quiet.code, quiet.stderr).toBe(0);
        expect(quiet.stderr).toBe("");
        const loud = await runCli(["run", job]);
        expect(loud.code, loud.stderr).toBe(0);
        expect(loud.stderr).toMatch(/^airlabel: job done: /mu);
    });

    test("errors still print with -q: one line, non-zero exit", async () => {
        const result = await runCli(["run", "-i", path.join(dir, "missing.jsonl"), "-m", model, "-o", path.join(dir, "none"), "-p", "{text}", "-q"]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/^airlabel: input file .*missing\.jsonl not found; check the path\n$/u);
    });
});
