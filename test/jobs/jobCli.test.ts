import fs from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {runCli, tempDir} from "../support/fixtures.js";

function jobFile(text: string, name = "job.yaml"): string {
    const file = path.join(tempDir(), name);
    fs.writeFileSync(file, text);
    return file;
}

const steps = "input: in.jsonl\noutput: out\nsteps:\n  - name: a\n    model: m.gguf\n";

describe("airlabel run JOB (refusals before any model loads)", () => {
    it("names the bad key's path and exits 2", async () => {
        const file = jobFile(`${steps}    where: {field: x, op: "=~", value: 1}\n`);
        const run = await runCli(["run", file]);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe(`airlabel: ${file}: steps[0].where.op: must be one of "==", "!=", "<", "<=", ">", ">=", "in", "exists"\n`);
    });

    it("takes the job file once, and only run runs steps", async () => {
        const file = jobFile(steps);
        const twice = await runCli(["run", file, "--config", file]);
        expect(twice.code).toBe(2);
        expect(twice.stderr).toMatch(/the job file is given twice/u);
        const prepare = await runCli(["prepare", "--config", file]);
        expect(prepare.code).toBe(2);
        expect(prepare.stderr).toMatch(/the job file has "steps", which only `airlabel run JOB` runs/u);
        const repeated = await runCli(["prepare", "-i", "x.jsonl", "-m", "a.gguf", "-m", "b.gguf", "-o", "out"]);
        expect(repeated.code).toBe(2);
        expect(repeated.stderr).toMatch(/--model is given 2 times; only `airlabel run` compares models/u);
    });

    it("refuses steps that do not fit together, naming the step", async () => {
        const dup = await runCli(["run", jobFile(`${steps}  - name: a\n    model: m.gguf\n`)]);
        expect(dup.code).toBe(2);
        expect(dup.stderr).toMatch(/steps\[1\]\.name: "a" is used by an earlier step; give each step its own name/u);
        const filter = await runCli(["run", jobFile(`${steps}  - name: f\n    type: filter\n    model: m.gguf\n    where: "x == 1"\n`)]);
        expect(filter.stderr).toMatch(/steps\[1\]\.model: a filter step runs no model; it takes only name, type and where/u);
        const bad = await runCli(["run", jobFile(`${steps}  - name: f\n    type: filter\n    where: "x = 1"\n`)]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/steps\[1\]\.where: "x = 1" is not "<field> <op> <value>"/u);
    });
});
