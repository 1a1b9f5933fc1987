import fs from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {generatedModel, runCli, tempDir} from "../support/fixtures.js";

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

    it("a missing model file fails before any step or model runs", async () => {
        const dir = tempDir();
        const model = await generatedModel();
        const file = jobFile(`input: in.jsonl\noutput: ${dir}/out\nsteps:\n  - name: a\n    model: ${model}\n  - name: b\n    model: ${dir}/nope.gguf\n`);
        const run = await runCli(["run", file]);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe(`airlabel: ${file}: steps[1]: model file ${dir}/nope.gguf not found; check the path (no step has run)\n`);
        expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
        const input = path.join(dir, "in.jsonl");
        fs.writeFileSync(input, '{"text": "x"}\n');
        const compare = await runCli(["run", "-i", input, "--model", model, "--model", `${dir}/nope.gguf`, "-o", path.join(dir, "cmp")]);
        expect(compare.code).toBe(1);
        expect(compare.stderr).toMatch(/^airlabel: model nope: model file .*nope\.gguf not found; check the path \(no model has run\)\n$/u);
        expect(fs.existsSync(path.join(dir, "cmp", "models"))).toBe(false);
    });
});
