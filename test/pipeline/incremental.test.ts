import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {runJob} from "../../src/jobs/runJob.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// A dataset that grows: the same command over an input with rows appended (or a raised --max-rows) generates only the
// rows with no committed answer yet. Rows an earlier run answered that changed are never mixed in: the run stops.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

const rowsOf = (from: number, to: number) => Array.from({length: to - from}, (_, i) => ({id: from + i, text: `row ${from + i}`}));

/** idx of every committed answer, sorted (a row answered twice would show twice). */
async function answeredIdx(output: string): Promise<number[]> {
    return (await readOutput(output)).rows.map((row) => Number(row.idx)).sort((a, b) => a - b);
}

describe("incremental runs", () => {
    test("a file grown three times: each run generates only the new rows; the output holds every row exactly once", async () => {
        const input = path.join(dir, "grown.jsonl");
        const output = path.join(dir, "grown-out");
        const options = {input, model, output, maxTokens: 4, template: "{text}"};
        writeJsonl(input, rowsOf(0, 5));
        expect(await annotate(options)).toMatchObject({totalRows: 5, resumedRows: 0, doneRows: 5, complete: true});
        for (const [from, to] of [
            [5, 9],
            [9, 10],
            [10, 16]
        ] as const) {
            fs.appendFileSync(
                input,
                rowsOf(from, to)
                    .map((row) => `${JSON.stringify(row)}\n`)
                    .join("")
            );
            const logs: string[] = [];
            const result = await annotate({...options, onLog: (line) => logs.push(line)});
            expect(result).toMatchObject({totalRows: to, resumedRows: from, doneRows: to - from, complete: true});
            expect(logs).toContain(`input grew from ${from} to ${to} rows since the last run: the ${to - from} new rows are generated`);
            expect(await answeredIdx(output)).toEqual(Array.from({length: to}, (_, i) => i));
        }
        // the same input again: nothing to do
        expect(await annotate(options)).toMatchObject({resumedRows: 16, doneRows: 0, complete: true});
        // each answer sits beside its own input row
        for (const row of (await readOutput(output)).rows) expect(row.text).toBe(`row ${String(row.idx)}`);
    });

    test("a raised --max-rows generates the rows it adds; a lowered one is refused", async () => {
        const input = writeJsonl(path.join(dir, "capped.jsonl"), rowsOf(0, 10));
        const output = path.join(dir, "capped-out");
        const options = {input, model, output, maxTokens: 4, template: "{text}"};
        expect(await annotate({...options, maxRows: 3})).toMatchObject({totalRows: 3, doneRows: 3, complete: true});
        expect(await annotate({...options, maxRows: 7})).toMatchObject({totalRows: 7, resumedRows: 3, doneRows: 4, complete: true});
        expect(await annotate(options)).toMatchObject({totalRows: 10, resumedRows: 7, doneRows: 3, complete: true});
        expect(await answeredIdx(output)).toEqual(Array.from({length: 10}, (_, i) => i));
        await expect(annotate({...options, maxRows: 5})).rejects.toThrow(
            /^--max-rows 5 covers fewer rows than the 10 the run in .*capped-out answered; a run only grows: give --max-rows 10 or more, or re-run with --overwrite/u
        );
    });

    test("an edited, a removed or an inserted row stops the run in one line before anything is generated; the output is untouched", async () => {
        const input = path.join(dir, "edited.jsonl");
        const output = path.join(dir, "edited-out");
        writeJsonl(input, rowsOf(0, 6));
        const args = ["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4", "-p", "{text}", "-q"];
        expect((await runCli(args)).code).toBe(0);
        const manifest = fs.readFileSync(path.join(output, "manifest.json"), "utf8");
        for (const rows of [
            rowsOf(0, 6).map((row) => (row.id === 2 ? {...row, text: "row 2, edited"} : row)),
            [...rowsOf(0, 2), ...rowsOf(3, 8)],
            [{id: -1, text: "inserted"}, ...rowsOf(0, 8)]
        ]) {
            writeJsonl(input, rows);
            const run = await runCli(args);
            expect(run.code, run.stderr).toBe(1);
            expect(run.stderr.trim().split("\n")).toEqual([
                expect.stringMatching(
                    /^airlabel: .*edited\.jsonl: its first rows are not the 6 rows the run in .*edited-out answered \(rows were edited, removed or reordered, or inserted before them\), so its answers would be mixed with other rows; put those rows back and add new rows at the end, or re-run with --overwrite/u
                )
            ]);
            expect(fs.readFileSync(path.join(output, "manifest.json"), "utf8")).toBe(manifest);
        }
        writeJsonl(input, rowsOf(0, 4));
        const fewer = await runCli(args);
        expect(fewer.code).toBe(1);
        expect(fewer.stderr).toMatch(/edited\.jsonl: has 4 rows, fewer than the 6 rows the run in .*edited-out answered/u);
        // put back and grown: it goes on
        writeJsonl(input, rowsOf(0, 8));
        expect((await runCli(args)).code).toBe(0);
        expect(await answeredIdx(output)).toEqual(Array.from({length: 8}, (_, i) => i));
    });

    test("a run an older airlabel wrote (its identity held the input's hash and --max-rows) resumes and grows", async () => {
        const input = writeJsonl(path.join(dir, "older.jsonl"), rowsOf(0, 4));
        const output = path.join(dir, "older-out");
        const options = {input, model, output, maxTokens: 4, template: "{text}"};
        await annotate(options);
        // as an older airlabel wrote it: an `input` identity entry (16 hex digits), maxRows in `rows`, no inputSha256
        const file = path.join(output, "manifest.json");
        const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as {identity: Record<string, string>; meta: Record<string, unknown>};
        const rows = JSON.parse(manifest.identity.rows!) as Record<string, unknown>;
        manifest.identity = {
            ...manifest.identity,
            input: String(manifest.meta.inputSha256).slice(0, 16),
            rows: JSON.stringify({keepColumns: rows.keepColumns, maxRows: null, ...rows})
        };
        delete manifest.meta.inputSha256;
        fs.writeFileSync(file, JSON.stringify(manifest));
        expect(await annotate(options)).toMatchObject({resumedRows: 4, doneRows: 0, complete: true});
        fs.appendFileSync(
            input,
            rowsOf(4, 6)
                .map((row) => `${JSON.stringify(row)}\n`)
                .join("")
        );
        expect(await annotate(options)).toMatchObject({resumedRows: 4, doneRows: 2, complete: true});
        // the manifest now records this airlabel's identity
        const upgraded = JSON.parse(fs.readFileSync(file, "utf8")) as {identity: Record<string, string>};
        expect(upgraded.identity.input).toBeUndefined();
    });

    test("with --shuffle-seed the rows picked depend on the whole input: a grown input is another run, refused as before", async () => {
        const input = writeJsonl(path.join(dir, "shuffled.jsonl"), rowsOf(0, 6));
        const output = path.join(dir, "shuffled-out");
        const options = {input, model, output, maxTokens: 4, template: "{text}", shuffleSeed: 3, maxRows: 4};
        await annotate(options);
        fs.appendFileSync(input, `${JSON.stringify({id: 6, text: "row 6"})}\n`);
        await expect(annotate(options)).rejects.toThrow(/holds a run with a different input \(was [0-9a-f]{8}, now [0-9a-f]{8}\)/u);
    });
    test("a nightly job over a grown input: every step generates only the rows the input gained, the result holds every row once", async () => {
        const input = path.join(dir, "nightly.jsonl");
        writeJsonl(input, rowsOf(0, 6));
        const job = {
            input,
            model,
            output: path.join(dir, "nightly-out"),
            maxTokens: 4,
            steps: [
                {name: "first", prompt: "Say: {text}"},
                {name: "second", prompt: "Again: {text} / {steps.first.annotation}"}
            ]
        };
        const first = await runJob({job});
        expect(first).toMatchObject({complete: true, rows: 6});
        fs.appendFileSync(
            input,
            rowsOf(6, 9)
                .map((row) => `${JSON.stringify(row)}\n`)
                .join("")
        );
        const second = await runJob({job});
        expect(second).toMatchObject({complete: true, rows: 9});
        // each step ran again, over the grown rows, and generated only the 3 new ones
        expect(second.steps.map((step) => [step.name, step.skipped, step.run?.resumedRows, step.run?.doneRows])).toEqual([
            ["first", false, 6, 3],
            ["second", false, 6, 3]
        ]);
        const result = (await readOutput(path.join(dir, "nightly-out", "steps", "second"))).rows;
        expect(result.map((row) => Number(row.idx)).sort((a, b) => a - b)).toEqual(Array.from({length: 9}, (_, i) => i));
        // nothing changed: both steps are skipped
        const third = await runJob({job});
        expect(third.steps.map((step) => step.skipped)).toEqual([true, true]);
    });
});
