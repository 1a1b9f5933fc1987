import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {jobFixture, readJsonlDir, runCli} from "../support/fixtures.js";

// --fail-on-errors (failOnErrors: true in a job file): a run whose output holds failed rows exits 3, after committing
// everything, so CI pipelines can tell "finished" from "finished with rows in errors/".

let model: string;
let dir: string;
let bad: string;
beforeAll(async () => {
    ({model, dir} = await jobFixture([{text: "a"}]));
    bad = path.join(dir, "bad.jsonl");
    fs.writeFileSync(bad, '{"text": "ok"}\n{"text": oops}\n{"text": "fine"}\n');
});

describe("--fail-on-errors", () => {
    test("exits 3 naming the count when rows ended in errors/, answers still committed; earlier runs' errors count on resume", async () => {
        const output = path.join(dir, "failing");
        const args = ["run", "-i", bad, "-m", model, "-o", output, "--max-tokens", "4", "--skip-invalid-rows"];
        const first = await runCli([...args, "--fail-on-errors"]);
        expect(first.code, first.stderr).toBe(3);
        expect(first.stderr).toMatch(/airlabel: 1 row ended in errors\/ \(--fail-on-errors\): exit code 3/u);
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((row) => row.idx)
                .sort()
        ).toEqual([0, 2]);
        expect(readJsonlDir(path.join(output, "errors")).map((row) => row.idx)).toEqual([1]);
        // nothing left to do: the failed row from the first run still fails the command, even with --quiet
        const again = await runCli([...args, "--fail-on-errors", "--quiet"]);
        expect(again.code, again.stderr).toBe(3);
        expect(again.stderr.trim()).toBe("airlabel: 1 row ended in errors/ (--fail-on-errors): exit code 3");
        // without the flag the same output is a success
        const plain = await runCli(args);
        expect(plain.code, plain.stderr).toBe(0);
    });

    test("a run without failed rows exits 0", async () => {
        const good = path.join(dir, "good.jsonl");
        fs.writeFileSync(good, '{"text": "ok"}\n{"text": "fine"}\n');
        const result = await runCli(["run", "-i", good, "-m", model, "-o", path.join(dir, "passing"), "--max-tokens", "4", "--fail-on-errors"]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).not.toMatch(/--fail-on-errors/u);
    });

    test("failOnErrors in a job file, single run and multi-step job alike", async () => {
        const single = path.join(dir, "single.yaml");
        fs.writeFileSync(
            single,
            JSON.stringify({input: bad, model, output: path.join(dir, "job-single"), maxTokens: 4, skipInvalidRows: true, failOnErrors: true})
        );
        const first = await runCli(["run", single]);
        expect(first.code, first.stderr).toBe(3);
        const steps = path.join(dir, "steps.yaml");
        fs.writeFileSync(
            steps,
            JSON.stringify({
                input: bad,
                model,
                output: path.join(dir, "job-steps"),
                maxTokens: 4,
                skipInvalidRows: true,
                failOnErrors: true,
                steps: [{name: "first"}]
            })
        );
        const job = await runCli(["run", steps]);
        expect(job.code, job.stderr).toBe(3);
        expect(job.stderr).toMatch(/1 row ended in errors\//u);
    });
});
