import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {sha256Of} from "../../src/files/sha256Of.js";
import {committedCounts} from "../../src/output/Manifest.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// --retry-failed: a pass that attempts again exactly the rows in errors/, with other generation settings, without
// paying for the answered rows again. Committed shards are never rewritten; readers take each row's latest commit.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

// At temperature 0 the generated model picks the short label for most of these rows and the long one for a few: with
// 6 tokens the long label cannot be spelled out, so those rows fail for length; 40 tokens are enough for it.
const choices = ["no", "yes and a much longer label that spells out many tokens"];
const rowsOf = (count: number) => Array.from({length: count}, (_, i) => ({text: `row ${i} ${"abcdefgh".slice(0, i % 8)}`}));

/** sha256 of every file in data/ and errors/, by name. */
function shardFiles(output: string): Record<string, string> {
    const files: Record<string, string> = {};
    for (const sub of ["data", "errors"]) {
        const folder = path.join(output, sub);
        if (!fs.existsSync(folder)) continue;
        for (const name of fs.readdirSync(folder)) files[`${sub}/${name}`] = sha256Of(fs.readFileSync(path.join(folder, name)));
    }
    return files;
}

describe("--retry-failed", () => {
    test("a larger --max-tokens answers exactly the rows that failed for length; the answered rows and every shard stay as they were", async () => {
        const input = writeJsonl(path.join(dir, "rows.jsonl"), rowsOf(12));
        const output = path.join(dir, "length");
        const options = {input, model, output, choices, template: "{text}"};
        const first = await annotate({...options, maxTokens: 6});
        const before = await readOutput(output);
        const failed = before.errors.map((row) => Number(row.idx));
        // the setup this test relies on: some rows answered, some failed for length
        expect(before.rows.length).toBeGreaterThan(0);
        expect(failed.length).toBeGreaterThan(0);
        expect(new Set(before.errors.map((row) => row.finish_reason))).toEqual(new Set(["length"]));
        expect(first).toMatchObject({complete: true, failedRows: failed.length, retry: null});
        const shardsBefore = shardFiles(output);

        const logs: string[] = [];
        const retried = await annotate({...options, maxTokens: 40, retryFailed: true, onLog: (line) => logs.push(line)});
        expect(retried).toMatchObject({
            complete: true,
            resumedRows: 12 - failed.length,
            doneRows: failed.length,
            okRows: failed.length,
            failedRows: 0,
            retry: {rows: failed.length, changes: ["maxTokens 6 -> 40"]}
        });
        expect(logs).toContain("--retry-failed with changed settings: maxTokens 6 -> 40");
        expect(logs).toContain(`--retry-failed: retrying the ${failed.length} failed row${failed.length === 1 ? "" : "s"}`);

        const after = await readOutput(output);
        // every row once, answered; the rows the first run answered are the very same records
        expect(after.rows.map((row) => row.idx)).toEqual(Array.from({length: 12}, (_, i) => i));
        expect(after.errors).toEqual([]);
        for (const row of before.rows) expect(after.rows[Number(row.idx)]).toEqual(row);
        for (const idx of failed) expect(after.rows[idx]!.annotation).toBe(choices[1]);
        expect([...after.retryPass.keys()].sort((a, b) => a - b)).toEqual(failed);
        // committed shards are never rewritten: the first run's files are byte for byte as they were, the pass added its own
        const shardsAfter = shardFiles(output);
        for (const [file, sha] of Object.entries(shardsBefore)) expect(shardsAfter[file]).toBe(sha);
        expect(Object.keys(shardsAfter).length).toBeGreaterThan(Object.keys(shardsBefore).length);
        expect(committedCounts(after.manifest)).toEqual({rows: 12, errors: 0});
        expect(after.manifest.retries).toMatchObject([{changes: ["maxTokens 6 -> 40"]}]);
        expect(JSON.parse(after.manifest.retries![0]!.identity.sampling!)).toMatchObject({maxTokens: 40});
        // the run's own settings are unchanged: the same command finds nothing to do, and the retry's settings without
        // --retry-failed are a different run
        expect(await annotate({...options, maxTokens: 6})).toMatchObject({resumedRows: 12, doneRows: 0, complete: true});
        await expect(annotate({...options, maxTokens: 40})).rejects.toThrow(/holds a run with a different sampling/u);
        // a second pass with nothing left to retry commits nothing and records no pass
        const idle = await annotate({...options, maxTokens: 40, retryFailed: true, onLog: (line) => logs.push(line)});
        expect(idle).toMatchObject({doneRows: 0, complete: true, retry: {rows: 0}});
        expect(logs.at(-1)).toMatch(/^--retry-failed: no failed rows to retry|^engine|^prepared/u);
        expect((await readOutput(output)).manifest.retries).toHaveLength(1);
    });

    test("a pass that fails again keeps the row in errors/ once, with the new reason; stats and export show which settings answered each row", async () => {
        const input = writeJsonl(path.join(dir, "again.jsonl"), rowsOf(12));
        const output = path.join(dir, "again");
        await annotate({input, model, output, choices, template: "{text}", maxTokens: 6});
        const failed = (await readOutput(output)).errors.map((row) => Number(row.idx));
        // too few tokens still: each failed row is attempted again and fails again, once
        const again = await annotate({input, model, output, choices, template: "{text}", maxTokens: 7, retryFailed: true});
        expect(again).toMatchObject({doneRows: failed.length, failedRows: failed.length, retry: {rows: failed.length, changes: ["maxTokens 6 -> 7"]}});
        const contents = await readOutput(output);
        expect(contents.errors.map((row) => Number(row.idx))).toEqual(failed);
        expect(committedCounts(contents.manifest)).toEqual({rows: 12 - failed.length, errors: failed.length});
        // then through the CLI with enough tokens: its summary says what the pass did
        const args = ["run", "-i", input, "-m", model, "-o", output, "--choices", choices.join(","), "-p", "{text}"];
        const cli = await runCli([...args, "--max-tokens", "40", "--retry-failed"]);
        expect(cli.code, cli.stderr).toBe(0);
        expect(cli.stderr).toContain(`airlabel: retry: ${failed.length} failed row${failed.length === 1 ? "" : "s"} attempted again with maxTokens 6 -> 40`);

        const stats = await runCli(["stats", output, "--json"]);
        expect(stats.code, stats.stderr).toBe(0);
        expect(JSON.parse(stats.stdout).settings).toEqual([
            {pass: 0, settings: "run", answered: 12 - failed.length, failed: 0},
            {pass: 1, settings: "retry 1: maxTokens 6 -> 7", answered: 0, failed: 0},
            {pass: 2, settings: "retry 2: maxTokens 6 -> 40", answered: failed.length, failed: 0}
        ]);
        const text = await runCli(["stats", output]);
        expect(text.stdout).toMatch(/answered under\s+answered\s+failed/u);
        expect(text.stdout).toMatch(/retry 2: maxTokens 6 -> 40\s+\d+\s+0/u);

        const table = path.join(dir, "again.jsonl.out");
        const exported = await runCli(["export", output, "--to", table, "--format", "jsonl", "--settings-column"]);
        expect(exported.code, exported.stderr).toBe(0);
        const records = fs
            .readFileSync(table, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(records.map((record) => record.idx)).toEqual(Array.from({length: 12}, (_, i) => i));
        for (const record of records) expect(record.answered_under).toBe(failed.includes(Number(record.idx)) ? "retry 2: maxTokens 6 -> 40" : "run");
        expect(Object.keys(records[0]!).at(-1)).toBe("answered_under");
        const argilla = await runCli(["export", output, "--to", "argilla", "--settings-column"]);
        expect(argilla.code).toBe(2);
        expect(argilla.stderr.trim()).toBe(
            `airlabel: --settings-column writes a .jsonl, .parquet or .arrow table of one run; argilla is not one (airlabel stats ${output} shows the settings too)`
        );
    });

    test("a pass may not change what the rows are; with no run there is nothing to retry; rows not attempted yet are left to a plain run", async () => {
        const input = writeJsonl(path.join(dir, "refused.jsonl"), rowsOf(6));
        const output = path.join(dir, "refused");
        const options = {input, model, output, choices, template: "{text}", maxTokens: 6};
        await expect(annotate({...options, retryFailed: true})).rejects.toThrow(
            `--retry-failed: ${output}/ holds no run to retry; run the same command without --retry-failed first`
        );
        expect(fs.existsSync(path.join(output, "manifest.json"))).toBe(false);
        await annotate(options);
        const manifest = fs.readFileSync(path.join(output, "manifest.json"), "utf8");
        await expect(annotate({...options, template: "Row: {text}", maxTokens: 40, retryFailed: true})).rejects.toThrow(
            new RegExp(`^output dir ${output}/ holds a run with a different template \\(was [0-9a-f]{8}, now [0-9a-f]{8}\\); re-run with --overwrite`, "u")
        );
        expect(fs.readFileSync(path.join(output, "manifest.json"), "utf8")).toBe(manifest);
        // the input grew: the pass retries the failed rows only, and says the new ones wait for a plain run
        fs.appendFileSync(
            input,
            rowsOf(9)
                .slice(6)
                .map((row) => `${JSON.stringify(row)}\n`)
                .join("")
        );
        const failed = (await readOutput(output)).errors.length;
        const logs: string[] = [];
        const pass = await annotate({...options, maxTokens: 40, retryFailed: true, onLog: (line) => logs.push(line)});
        expect(pass).toMatchObject({doneRows: failed, complete: false});
        expect(logs.some((line) => line.endsWith("; the 3 rows not attempted yet are left for a run without --retry-failed"))).toBe(true);
        expect(await annotate(options)).toMatchObject({resumedRows: 6, doneRows: 3, complete: true});
        expect((await readOutput(output)).rows.length + (await readOutput(output)).errors.length).toBe(9);
    });

    test("another model may retry the failed rows: the pass records it, and the retried rows name it", async () => {
        const input = writeJsonl(path.join(dir, "model.jsonl"), rowsOf(12));
        const output = path.join(dir, "model");
        await annotate({input, model, output, choices, template: "{text}", maxTokens: 6});
        const failed = (await readOutput(output)).errors.map((row) => Number(row.idx));
        const other = await generatedModel(1_200_000);
        const pass = await annotate({input, model: other, output, choices, template: "{text}", maxTokens: 40, retryFailed: true});
        expect(pass.retry).toEqual({rows: failed.length, changes: ["maxTokens 6 -> 40", `model ${path.basename(model)} -> ${path.basename(other)}`]});
        const contents = await readOutput(output);
        for (const row of contents.rows) expect(row.model).toBe(path.basename(failed.includes(Number(row.idx)) ? other : model));
        expect(contents.manifest.retries![0]!.identity.model).toMatch(new RegExp(`^${path.basename(other)}:\\d+:sha256:`, "u"));
    });

    test("refused where it cannot apply: with --overwrite, for a comparison, for a whole job", async () => {
        const input = writeJsonl(path.join(dir, "compare.jsonl"), rowsOf(2));
        const overwrite = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "x"), "--retry-failed", "--overwrite"]);
        expect(overwrite.code).toBe(2);
        expect(overwrite.stderr).toContain("options.retryFailed and options.overwrite cannot be used together");
        const compare = await runCli(["run", "-i", input, "-m", model, "-m", model, "-o", path.join(dir, "cmp"), "--retry-failed"]);
        expect(compare.code).toBe(2);
        expect(compare.stderr.trim()).toBe(
            `airlabel: --retry-failed retries one run's failed rows: give it one model's dir, e.g. --output ${path.join(dir, "cmp", "models", "<id>")} with that model's --model`
        );
        const job = path.join(dir, "job.json");
        fs.writeFileSync(job, JSON.stringify({input, output: path.join(dir, "job"), steps: [{name: "a", type: "annotate", model, prompt: "{text}"}]}));
        const steps = await runCli(["run", job, "--retry-failed"]);
        expect(steps.code).toBe(2);
        expect(steps.stderr.trim()).toBe(
            "airlabel: --retry-failed retries one run's failed rows: give it a step's dir as --output (steps/<name>) with that step's options, not the whole job"
        );
    });
});
