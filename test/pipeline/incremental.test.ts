import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {runJob} from "../../src/jobs/runJob.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// A dataset that grows: the same command over an input with rows appended (or a raised --max-rows) generates only the
// rows with no committed answer yet. Rows are matched by content (or --id-column), wherever they moved; rows changed
// or removed since are reported, never silently mixed in.

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
            const result = await annotate(options);
            expect(result).toMatchObject({totalRows: to, resumedRows: from, doneRows: to - from, complete: true});
            expect(result.inputChanges).toMatchObject({keyedBy: "content", newRows: to - from, changed: 0, removed: 0});
            expect(await answeredIdx(output)).toEqual(Array.from({length: to}, (_, i) => i));
        }
        // the same input again: nothing to do
        expect(await annotate(options)).toMatchObject({resumedRows: 16, doneRows: 0, complete: true});
        // each answer sits beside its own input row
        for (const row of (await readOutput(output)).rows) expect(row.text).toBe(`row ${String(row.idx)}`);
    });

    test("a raised --max-rows generates the rows it adds; a lowered one leaves the rows past it in the output and says so", async () => {
        const input = writeJsonl(path.join(dir, "capped.jsonl"), rowsOf(0, 10));
        const output = path.join(dir, "capped-out");
        const options = {input, model, output, maxTokens: 4, template: "{text}"};
        expect(await annotate({...options, maxRows: 3})).toMatchObject({totalRows: 3, doneRows: 3, complete: true});
        expect(await annotate({...options, maxRows: 7})).toMatchObject({totalRows: 7, resumedRows: 3, doneRows: 4, complete: true});
        expect(await annotate(options)).toMatchObject({totalRows: 10, resumedRows: 7, doneRows: 3, complete: true});
        expect(await answeredIdx(output)).toEqual(Array.from({length: 10}, (_, i) => i));
        const lowered = await annotate({...options, maxRows: 5});
        expect(lowered).toMatchObject({doneRows: 0, complete: true});
        expect(lowered.inputChanges).toMatchObject({newRows: 0, removed: 5, removedIdx: [5, 6, 7, 8, 9]});
        expect(await answeredIdx(output)).toEqual(Array.from({length: 10}, (_, i) => i));
    });

    test("rows are matched by content: an edited row is a removed row and a new one, inserted and reordered rows keep their answers; all reported", async () => {
        const input = path.join(dir, "edited.jsonl");
        const output = path.join(dir, "edited-out");
        writeJsonl(input, rowsOf(0, 6));
        const options = {input, model, output, maxTokens: 4, template: "{text}"};
        await annotate(options);
        const before = await readOutput(output);
        const shards = fs.readdirSync(path.join(output, "data")).map((name) => [name, fs.readFileSync(path.join(output, "data", name))] as const);
        // row 2 edited, row 4 removed, a row inserted first, the rest reordered
        const edited = [{id: -1, text: "inserted"}, ...rowsOf(0, 6).filter((row) => row.id !== 4)].map((row) =>
            row.id === 2 ? {...row, text: "row 2, edited"} : row
        );
        writeJsonl(input, [edited[0]!, ...edited.slice(1).reverse()]);
        const again = await annotate(options);
        expect(again).toMatchObject({doneRows: 2, resumedRows: 4, complete: true});
        expect(again.inputChanges).toEqual({
            keyedBy: "content",
            newRows: 2,
            changed: 0,
            changedRows: "regenerate",
            removed: 2,
            changedIdx: [],
            removedIdx: [2, 4]
        });
        const after = await readOutput(output);
        // the earlier answers are all still there, as they were; the two new rows got idx past every committed one
        for (const row of before.rows) expect(after.rows.find((other) => other.idx === row.idx)).toEqual(row);
        expect(after.rows.filter((row) => Number(row.idx) >= 6).map((row) => row.text)).toEqual(expect.arrayContaining(["inserted", "row 2, edited"]));
        expect(after.rows).toHaveLength(8);
        for (const [name, bytes] of shards) expect(fs.readFileSync(path.join(output, "data", name)).equals(bytes)).toBe(true);
        // nothing changed since: nothing to do, nothing new to report
        expect((await annotate(options)).inputChanges).toMatchObject({newRows: 0, removed: 2});
        // the CLI says it in the summary, and --json carries it
        const cli = await runCli(["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4", "-p", "{text}", "--json"]);
        expect(cli.code, cli.stderr).toBe(0);
        expect(JSON.parse(cli.stdout).inputChanges).toMatchObject({keyedBy: "content", removed: 2, removedIdx: [2, 4]});
        const text = await runCli(["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4", "-p", "{text}"]);
        expect(text.stderr).toContain("airlabel: input: 2 answered rows are no longer in the input (idx 2, 4): kept in the output");
    });

    test("a grown input prepares only its new rows: the earlier prepare's rows are copied, not rendered again, and its cache replaced", async () => {
        const input = path.join(dir, "prepared.jsonl");
        const output = path.join(dir, "prepared-out");
        const calls = path.join(dir, "prompt-calls.txt");
        const hooks = path.join(dir, "counting.mjs");
        // the prompt hook counts its calls: one per row rendered
        fs.writeFileSync(
            hooks,
            `import fs from "node:fs";\nexport const prompt = (row) => { fs.appendFileSync(${JSON.stringify(calls)}, "x"); return "Say: " + row.text; };\n`
        );
        const options = {input, model, output, maxTokens: 4, hooks};
        const rendered = () => (fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").length : 0);
        const caches = () => fs.readdirSync(path.join(output, "cache")).filter((name) => name.endsWith(".json"));
        writeJsonl(input, rowsOf(0, 5));
        await annotate(options);
        expect(rendered()).toBe(5);
        fs.appendFileSync(
            input,
            rowsOf(5, 8)
                .map((row) => `${JSON.stringify(row)}\n`)
                .join("")
        );
        const logs: string[] = [];
        expect(await annotate({...options, onLog: (line) => logs.push(line)})).toMatchObject({resumedRows: 5, doneRows: 3, complete: true});
        expect(rendered()).toBe(8);
        expect(logs).toContain("prepared 8 rows (5 from the earlier prepare of the input's first rows): 8 to generate, 0 failed in prepare");
        expect(caches()).toHaveLength(1);
        // the same input again: the cache as it is
        await annotate(options);
        expect(rendered()).toBe(8);
        // the first rows edited: not a grown input, every row is rendered again (and matched by content as always)
        writeJsonl(input, [{id: 0, text: "row 0, edited"}, ...rowsOf(1, 8)]);
        const edited = await annotate(options);
        expect(rendered()).toBe(16);
        expect(edited.inputChanges).toMatchObject({newRows: 1, removed: 1, removedIdx: [0]});
        expect((await readOutput(output)).rows.map((row) => row.text)).toContain("row 0, edited");
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
        // nor did it key its rows: they are matched by position, checked as a prefix
        delete manifest.meta.rowKeys;
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
