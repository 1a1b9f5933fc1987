import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {jobFixture, readJsonlDir, runCli} from "../support/fixtures.js";

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture([{text: "a"}, {text: "b"}, {text: "c"}]));
});

/** One line on stderr, starting with "airlabel: ", non-zero exit, and nothing committed. */
async function expectCleanFailure(args: string[], pattern: RegExp, output?: string): Promise<void> {
    const result = await runCli(args);
    expect(result.code, result.stderr).not.toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines.length, result.stderr).toBe(1);
    expect(lines[0]).toMatch(/^airlabel: /u);
    expect(lines[0]).toMatch(pattern);
    expect(result.stdout).toBe("");
    if (output !== undefined) expect(readJsonlDir(path.join(output, "data"))).toEqual([]);
}

describe("bad input gets a one-line error naming the file, a non-zero exit, and no partial shard", () => {
    test("missing input file", async () => {
        const output = path.join(dir, "o1");
        await expectCleanFailure(["run", "-i", path.join(dir, "nope.jsonl"), "-m", model, "-o", output], /nope\.jsonl.*not found/u, output);
    });

    test("malformed JSONL line names the line; --skip-invalid-rows records it and goes on", async () => {
        const bad = path.join(dir, "bad.jsonl");
        fs.writeFileSync(bad, '{"text": "ok"}\n{"text": oops}\n{"text": "fine"}\n');
        const output = path.join(dir, "o2");
        await expectCleanFailure(["run", "-i", bad, "-m", model, "-o", output, "--max-tokens", "4"], /bad\.jsonl line 2.*--skip-invalid-rows/u, output);
        const skipped = await runCli(["run", "-i", bad, "-m", model, "-o", output, "--max-tokens", "4", "--skip-invalid-rows", "--json", "-q"]);
        expect(skipped.code, skipped.stderr).toBe(0);
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((r) => r.idx)
                .sort()
        ).toEqual([0, 2]);
        const errors = readJsonlDir(path.join(output, "errors"));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({idx: 1, stage: "input"});
        expect(String(errors[0]!.location)).toMatch(/bad\.jsonl line 2/u);
    });

    test("template field missing names the template, the field and the columns", async () => {
        const output = path.join(dir, "o3");
        await expectCleanFailure(
            ["run", "-i", input, "-m", model, "-o", output, "-p", "Say {body}"],
            /--prompt template uses \{body\}.*columns available: text/u,
            output
        );
    });

    test("invalid JSON schema gives ajv's message", async () => {
        const schema = path.join(dir, "bad-schema.json");
        fs.writeFileSync(schema, JSON.stringify({type: "objekt"}));
        await expectCleanFailure(
            ["run", "-i", input, "-m", model, "-o", path.join(dir, "o4"), "-s", schema],
            /bad-schema\.json is not a valid JSON Schema: .*type/u
        );
        fs.writeFileSync(schema, "{not json");
        await expectCleanFailure(["run", "-i", input, "-m", model, "-o", path.join(dir, "o4"), "-s", schema], /bad-schema\.json is not valid JSON/u);
    });

    test("model file missing or not a GGUF", async () => {
        await expectCleanFailure(
            ["run", "-i", input, "-m", path.join(dir, "missing.gguf"), "-o", path.join(dir, "o5")],
            /model file .*missing\.gguf not found/u
        );
        const notGguf = path.join(dir, "fake.gguf");
        fs.writeFileSync(notGguf, "PK\u0003\u0004 this is a zip");
        await expectCleanFailure(["run", "-i", input, "-m", notGguf, "-o", path.join(dir, "o5")], /fake\.gguf is not a GGUF file/u);
    });

    test("output dir not writable", async () => {
        const file = path.join(dir, "a-file");
        fs.writeFileSync(file, "");
        await expectCleanFailure(
            ["run", "-i", input, "-m", model, "-o", path.join(file, "out")],
            /output dir .*a-file\/out\/ is not writable \(ENOTDIR\); choose another --output/u
        );
    });

    test("invalid option values are named", async () => {
        await expectCleanFailure(
            ["run", "-i", input, "-m", model, "-o", path.join(dir, "o6"), "--parallel", "0"],
            /options\.parallel must be a positive integer/u
        );
        await expectCleanFailure(
            ["run", "-i", input, "-m", model, "-o", path.join(dir, "o6"), "--tensor-split", "3,1", "--gpu", "cpu"],
            /options\.tensorSplit has 2 entries but the cpu backend has no GPU; give one ratio per GPU/u
        );
        await expectCleanFailure(["run", "-m", model, "-o", path.join(dir, "o6")], /--input is required/u);
    });
});
