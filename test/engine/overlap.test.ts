import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {readJsonlDir, runCli, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";

// The overlap patch: the native loop hands each step's finished rows to JavaScript and goes on; the rows JavaScript
// adds for the freed sequences join two steps after the finishing step, whenever JavaScript answers (when a row is
// waiting in the worker; the pool keeps twice the sequences' rows there). Runs of the same input give the same rows;
// and a sequence that a row leaves is trimmed by the loop before the next row's prompt goes in.

type Summary = {okRows: number};

const input = writeJsonl(
    path.join(tempDir(), "rows.jsonl"),
    Array.from({length: 14}, (_, i) => ({
        text: `${["Once upon a time", "One day", "Lily and Ben", "The little dog"][i % 4]} ${["went to the park", "found a box", "saw a bird", "had a ball"][i % 3]}${i % 5 === 0 ? " and they were happy" : ""}`
    }))
);

async function annotate(env: Record<string, string> = {}): Promise<{summary: Summary; rows: Record<string, unknown>[]}> {
    const output = tempDir();
    const run = await runCli(
        ["run", "-i", input, "-m", storiesModel, "-o", output, "-p", "{text}", "--parallel", "3", "--max-tokens", "40", "--stop", ".", "--json"],
        // the overlap is the default on a GPU; on CPU it is asked for
        {env: {AIRLABEL_OVERLAP: "1", ...env}}
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = readJsonlDir(path.join(output, "data")).map(({idx, annotation, completion_tokens: tokens}) => ({idx, annotation, tokens}));
    fs.rmSync(output, {recursive: true, force: true});
    return {summary: JSON.parse(run.stdout) as Summary, rows};
}

test("rows that take freed sequences mid-run: two runs give the same rows, answers of every length", async () => {
    const first = await annotate();
    const second = await annotate();
    expect(first.rows).toHaveLength(14);
    expect(second.rows).toEqual(first.rows);
    expect(second.summary.okRows).toBe(14);
    // the rows ended at different steps (the case where sequences are freed and taken mid-run)
    expect(new Set(first.rows.map((row) => row.tokens)).size).toBeGreaterThan(1);
});

test("a sequence's next row sees only its own prompt: the same rows as one row per sequence with the loop returning between rows", async () => {
    // AIRLABEL_OVERLAP=0: the loop returns to JavaScript at every finish and the sequence is trimmed from there
    const overlapped = await annotate();
    const returning = await annotate({AIRLABEL_OVERLAP: "0"});
    // the batches differ (a freed sequence's next row joins one step later with the overlap), stories260K's answers
    // do not depend on the other rows in a batch here: the same text and length for every row
    expect(overlapped.rows).toEqual(returning.rows);
});
