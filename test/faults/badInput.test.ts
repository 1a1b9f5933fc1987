import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {parquetWriteBuffer} from "hyparquet-writer";
import {readJsonlDir, tempDir, writeJsonl} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, stderrLines, type FaultJob} from "./harness.js";

// Bad inputs not already covered by test/cli/badInput.test.ts (a JSONL line that is not JSON, a missing template
// field, a schema that is not valid JSON Schema, a file that is not GGUF) and test/datasets (reader-level errors).
let job: FaultJob;
let dir: string;
beforeAll(async () => {
    job = await faultJob(3);
    dir = tempDir();
});

const runArgs = (input: string, output: string, ...extra: string[]) => [
    "run",
    "-i",
    input,
    "-m",
    job.model,
    "-o",
    output,
    "-p",
    "Label this: {text}",
    "--choices",
    "good,bad",
    "--max-tokens",
    "6",
    "--gpu",
    "cpu",
    "-q",
    ...extra
];

/** Exit 1, stderr ends with exactly one airlabel line matching `pattern` (node-llama-cpp may log before it), nothing committed. */
async function expectRefused(args: string[], pattern: RegExp, output: string): Promise<void> {
    const run = await runAirlabel(args);
    expect(run.code, run.stderr).toBe(1);
    const ours = stderrLines(run).filter((line) => line.startsWith("airlabel: "));
    expect(ours, run.stderr).toHaveLength(1);
    expect(ours[0]).toMatch(pattern);
    expect(run.stderr).not.toContain("unexpected error");
    expect(fs.existsSync(path.join(output, "manifest.json")), "nothing committed").toBe(false);
}

describe("bad input files: one line naming the file (and row), exit 1, nothing committed", () => {
    test("an empty file", async () => {
        const input = path.join(dir, "empty.jsonl");
        fs.writeFileSync(input, "");
        const output = path.join(dir, "o-empty");
        await expectRefused(
            runArgs(input, output),
            new RegExp(`^airlabel: input ${input} has no rows \\(it is empty\\); check the --input path$`, "u"),
            output
        );
    });

    test("binary garbage", async () => {
        const input = path.join(dir, "garbage.jsonl");
        fs.writeFileSync(input, Buffer.from(Array.from({length: 4096}, (_, i) => (i * 131 + 7) % 256)));
        const output = path.join(dir, "o-garbage");
        await expectRefused(
            runArgs(input, output),
            /^airlabel: garbage\.jsonl line \d+: invalid UTF-8 at byte offset \d+; convert the file to UTF-8 \(for example iconv -f latin1 -t utf-8\)$/u,
            output
        );
    });

    test("invalid UTF-8 in one line names that line (no silent replacement characters)", async () => {
        const input = path.join(dir, "latin1.jsonl");
        fs.writeFileSync(
            input,
            Buffer.concat([Buffer.from('{"text":"fine"}\n{"text":"caf\u00e9 ok"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')])
        );
        const output = path.join(dir, "o-latin1");
        await expectRefused(runArgs(input, output), /^airlabel: latin1\.jsonl line 3: invalid UTF-8 at byte offset 48; convert the file to UTF-8/u, output);
    });

    test("a CSV row with too many fields: named; with --skip-invalid-rows it goes to errors and the others are answered", async () => {
        const input = path.join(dir, "ragged.csv");
        fs.writeFileSync(input, "text,label\nhello,1\nragged,2,3\nbye,4\n");
        const output = path.join(dir, "o-ragged");
        await expectRefused(
            runArgs(input, output),
            /^airlabel: ragged\.csv line 3: expected 2 fields, found 3; fix the row or pass --skip-invalid-rows$/u,
            output
        );
        const skipped = await runAirlabel(runArgs(input, output, "--skip-invalid-rows"));
        expect(skipped.code, skipped.stderr).toBe(0);
        const snapshot = await checkInvariants(output, [0, 1, 2], {settled: true});
        expect(snapshot.complete).toBe(true);
        expect(readJsonlDir(path.join(output, "errors")).filter((row) => row.stage === "input")).toEqual([
            expect.objectContaining({idx: 1, reason: "expected 2 fields, found 3", location: "ragged.csv line 3"})
        ]);
    });

    test("a truncated Parquet file", async () => {
        const whole = Buffer.from(parquetWriteBuffer({columnData: [{name: "text", data: ["one", "two", "three"]}]}));
        const input = path.join(dir, "cut.parquet");
        fs.writeFileSync(input, whole.subarray(0, whole.length - 30));
        const output = path.join(dir, "o-parquet");
        await expectRefused(runArgs(input, output), /^airlabel: cut\.parquet: cannot read Parquet \(.+\); check that it is a valid Parquet file$/u, output);
    });

    test("a GGUF with a corrupt header, and one truncated after its header", async () => {
        const model = fs.readFileSync(job.model);
        const corrupt = path.join(dir, "corrupt.gguf");
        const bytes = Buffer.from(model);
        bytes.writeBigUInt64LE(0x7fffffffffffffffn, 8); // tensor count
        fs.writeFileSync(corrupt, bytes);
        const output = path.join(dir, "o-gguf");
        const args = (file: string) => runArgs(job.input, output).map((arg) => (arg === job.model ? file : arg));
        await expectRefused(
            args(corrupt),
            new RegExp(
                `^airlabel: model file ${corrupt} has a corrupt GGUF header \\(it claims 9223372036854775807 tensors\\); the file is damaged or truncated: copy or convert it again$`,
                "u"
            ),
            output
        );
        const truncated = path.join(dir, "truncated.gguf");
        fs.writeFileSync(truncated, model.subarray(0, 4000));
        await expectRefused(
            args(truncated),
            new RegExp(
                `^airlabel: model file ${truncated} cannot be loaded \\(.+\\); it is damaged or truncated, or not a llama\\.cpp model: copy or convert it again$`,
                "u"
            ),
            output
        );
    });

    test("a schema no grammar can express (no value satisfies it): refused before any model loads", async () => {
        const schema = path.join(dir, "impossible.json");
        fs.writeFileSync(schema, JSON.stringify({type: "object", properties: {score: {type: "integer", minimum: 5, maximum: 1}}, required: ["score"]}));
        const output = path.join(dir, "o-schema");
        const args = runArgs(job.input, output).filter((arg) => arg !== "--choices" && arg !== "good,bad");
        await expectRefused(
            [...args, "-s", schema],
            /^airlabel: schema .*impossible\.json: no JSON value satisfies the schema as the grammar reads it .*; fix the schema$/u,
            output
        );
    });
});

describe("bad rows that do not stop the run", () => {
    test("a number where the template wants text is rendered as text", async () => {
        const input = writeJsonl(path.join(dir, "numbers.jsonl"), [{text: 42}, {text: 3.5}, {text: true}]);
        const output = path.join(dir, "o-numbers");
        const prepared = await runAirlabel(["prepare", "-i", input, "-m", job.model, "-o", output, "-p", "Label this: {text}", "--json"]);
        expect(prepared.code, prepared.stderr).toBe(0);
        expect(JSON.parse(prepared.stdout) as {firstPrompt: string; failed: number}).toMatchObject({
            failed: 0,
            firstPrompt: expect.stringMatching(/^Label this: (42|3\.5|true)$/u)
        });
    });

    test("a 5 MB row: as a kept column it reaches the output whole; in the prompt it goes to errors with its token counts, and the run goes on", async () => {
        const blob = "0123456789".repeat(512 * 1024);
        const input = writeJsonl(path.join(dir, "big.jsonl"), [
            {text: "short", blob: "a"},
            {text: "kept whole", blob},
            {text: `huge ${blob}`, blob: "b"},
            {text: "after", blob: "c"}
        ]);
        const output = path.join(dir, "o-big");
        const run = await runAirlabel([...runArgs(input, output), "--max-tokens", "16", "--json"]);
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({totalRows: 4, complete: true});
        expect((await checkInvariants(output, [0, 1, 2, 3], {settled: true})).complete).toBe(true);
        const huge = readJsonlDir(path.join(output, "errors")).find((row) => row.idx === 2);
        expect(huge).toMatchObject({
            stage: "prepare",
            reason: expect.stringMatching(
                /^prompt has \d{6,} tokens, more than the \d+ the context leaves for it; raise --context-size or shorten the prompt$/u
            )
        });
        const data = readJsonlDir(path.join(output, "data")).find((row) => row.idx === 1);
        expect(data?.blob).toBe(blob);
    });
});
