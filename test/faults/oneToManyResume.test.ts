import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {generatedModel, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";
import {checkInvariants, runAirlabel, stderrLines} from "./harness.js";

// A one-to-many run (--one-to-many) killed with SIGKILL right after its first shard commit, then resumed: its export
// (one row per item, row_id "<idx>-<item>") is byte for byte that of the same run left alone, at temperature 0.

type Row = Record<string, unknown>;

const rows = Array.from({length: 12}, (_, n) => ({id: `r${n}`, text: `story ${n} about a cat and a ${n % 2 === 0 ? "dog" : "bird"}`, n}));

/** 0..3 items per row (every fourth row an empty list), each made of the model's answer and the row. */
const hooksSource = `
export function parse(row, answer) {
    return Array.from({length: row.n % 4}, (_, part) => ({q: answer.q, a: answer.a, part, of: row.id}));
}
`;

const pairSchema = {
    type: "object",
    properties: {q: {type: "string", maxLength: 10}, a: {type: "string", maxLength: 10}},
    required: ["q", "a"],
    additionalProperties: false
};

let dir: string;
let input: string;
beforeAll(() => {
    dir = tempDir();
    input = writeJsonl(path.join(dir, "in.jsonl"), rows);
    fs.writeFileSync(path.join(dir, "hooks.mjs"), hooksSource);
    fs.writeFileSync(path.join(dir, "pair.schema.json"), JSON.stringify(pairSchema));
    fs.writeFileSync(path.join(dir, "qa.schema.json"), JSON.stringify({type: "array", items: pairSchema, minItems: 1, maxItems: 3}));
});

function readJsonl(file: string): Row[] {
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Row);
}

/** `airlabel export OUTPUT --to FILE` (extra flags after), checked to succeed; the file's text. */
async function exportText(output: string, file: string, ...extra: string[]): Promise<string> {
    const exported = await runAirlabel(["export", output, "--to", file, ...extra]);
    expect(exported.code, exported.stderr).toBe(0);
    return fs.readFileSync(file, "utf8");
}

/** Runs `args(output)` left alone, and again killed after its first shard commit and resumed; checks both and returns the reference export. */
async function killAndResume(args: (output: string) => string[], name: string): Promise<{reference: Row[]; resumed: string}> {
    const reference = path.join(dir, `${name}-reference`);
    const full = await runAirlabel(args(reference));
    expect(full.code, full.stderr).toBe(0);
    await exportText(reference, path.join(dir, `${name}-reference.jsonl`));

    const output = path.join(dir, `${name}-killed`);
    // the first manifest-after-rename is the run's empty manifest, the second its first shard commit
    const killed = await runAirlabel(args(output), {crashAt: "manifest-after-rename:2"});
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const snapshot = await checkInvariants(
        output,
        rows.map((_, idx) => idx)
    );
    expect(snapshot.complete).toBe(false);
    expect(snapshot.idx.length).toBeGreaterThan(0);
    expect(snapshot.idx.length).toBeLessThan(rows.length);

    // what the kill left is whole input rows: each committed row's items, all of them, as the reference has them
    const referenceRows = readJsonl(path.join(dir, `${name}-reference.jsonl`));
    const committed = new Set(snapshot.idx);
    const partial = path.join(dir, `${name}-partial.jsonl`);
    await exportText(output, partial, "--allow-incomplete");
    expect(readJsonl(partial)).toEqual(referenceRows.filter((row) => committed.has(row.idx as number)));

    const resumed = await runAirlabel([...args(output), "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({complete: true, resumedRows: snapshot.idx.length, okRows: rows.length - snapshot.idx.length});
    await checkInvariants(
        output,
        rows.map((_, idx) => idx),
        {previous: snapshot, settled: true}
    );
    return {reference: referenceRows, resumed: await exportText(output, path.join(dir, `${name}-resumed.jsonl`))};
}

describe("a one-to-many run killed after its first commit and resumed", () => {
    test("a parse hook's lists (0 to 3 items a row): the resumed export equals the uninterrupted one, same row_ids, no duplicates, none missing", async () => {
        const model = await generatedModel();
        const args = (output: string) => [
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "-p",
            "Questions about: {text}",
            "-s",
            path.join(dir, "pair.schema.json"),
            "--hooks",
            path.join(dir, "hooks.mjs"),
            "--one-to-many",
            "--max-tokens",
            "64",
            "--shard-size",
            "2",
            "--parallel",
            "2",
            "--gpu",
            "cpu",
            "-q"
        ];
        const {reference, resumed} = await killAndResume(args, "hook");
        expect(resumed).toBe(fs.readFileSync(path.join(dir, "hook-reference.jsonl"), "utf8"));
        // one row per item: n % 4 items for row n, in idx then item order, input columns as read
        const expected = rows.flatMap((row, idx) => Array.from({length: row.n % 4}, (_, item) => `${idx}-${item}`));
        expect(reference.map((row) => row.row_id)).toEqual(expected);
        expect(new Set(expected).size).toBe(expected.length);
        for (const row of reference) {
            const idx = row.idx as number;
            expect(Object.keys(row).slice(0, 6)).toEqual(["idx", "item", "row_id", "id", "text", "n"]);
            expect(row).toMatchObject({...rows[idx], row_id: `${idx}-${row.item as number}`, annotation: {part: row.item, of: rows[idx]!.id}});
        }

        // resuming without --one-to-many is another run: refused before anything is generated
        const output = path.join(dir, "hook-killed");
        const refused = await runAirlabel(args(output).filter((arg) => arg !== "--one-to-many"));
        expect(refused.code).toBe(1);
        expect(stderrLines(refused)).toEqual([
            `airlabel: output dir ${output}/ holds a run with a different options (was {"oneToMany":true}, now none); re-run with --overwrite to start over, or use another --output`
        ]);
        expect(await exportText(output, path.join(dir, "hook-again.jsonl"))).toBe(resumed);
    });

    test.runIf(fs.existsSync(storiesModel))(
        "stories260K answering lists of Q&A pairs (schema arrays), parquet shards: the resumed export equals the uninterrupted one",
        async () => {
            const args = (output: string) => [
                "run",
                "-i",
                input,
                "-m",
                storiesModel,
                "-o",
                output,
                "-p",
                "Write questions and answers about: {text}",
                "-s",
                path.join(dir, "qa.schema.json"),
                "--one-to-many",
                "--format",
                "parquet",
                "--max-tokens",
                "120",
                "--shard-size",
                "2",
                "--parallel",
                "2",
                "--gpu",
                "cpu",
                "-q"
            ];
            const {reference, resumed} = await killAndResume(args, "stories");
            expect(resumed).toBe(fs.readFileSync(path.join(dir, "stories-reference.jsonl"), "utf8"));
            const perRow = new Map<number, number>();
            for (const row of reference) perRow.set(row.idx as number, (perRow.get(row.idx as number) ?? 0) + 1);
            expect([...perRow.keys()]).toEqual(rows.map((_, idx) => idx));
            for (const [idx, count] of perRow) {
                expect(count).toBeGreaterThanOrEqual(1);
                expect(count).toBeLessThanOrEqual(3);
                expect(reference.filter((row) => row.idx === idx).map((row) => row.row_id)).toEqual(Array.from({length: count}, (_, item) => `${idx}-${item}`));
            }
            for (const row of reference) expect(row.annotation).toEqual({q: expect.any(String), a: expect.any(String)});
        }
    );
});
