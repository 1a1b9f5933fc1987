import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {committedCounts} from "../../src/output/Manifest.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// --id-column: a re-run matches the rows an earlier run answered by the input's own ids, wherever they moved, and
// finds the rows whose content changed since: answered again by default (--changed-rows regenerate), or kept.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

const rowsOf = (ids: string[]) => ids.map((id) => ({id, text: `text of ${id}`}));

describe("--id-column", () => {
    test("a changed row is answered again by default and replaces its earlier row; moved rows keep their idx; removed rows are reported", async () => {
        const input = writeJsonl(path.join(dir, "ids.jsonl"), rowsOf(["a", "b", "c", "d"]));
        const output = path.join(dir, "ids");
        const options = {input, model, output, maxTokens: 4, template: "{text}", idColumn: "id"};
        await annotate(options);
        const before = await readOutput(output);
        const idxOf = new Map(before.rows.map((row) => [row.id, row.idx]));
        // c edited, d removed, e added, the rest reordered
        writeJsonl(input, [{id: "e", text: "text of e"}, {id: "c", text: "text of c, corrected"}, ...rowsOf(["b", "a"])]);
        const again = await annotate(options);
        expect(again).toMatchObject({doneRows: 2, complete: true});
        expect(again.inputChanges).toEqual({
            keyedBy: "id:id",
            newRows: 1,
            changed: 1,
            changedRows: "regenerate",
            removed: 1,
            changedIdx: [idxOf.get("c")],
            removedIdx: [idxOf.get("d")]
        });
        const after = await readOutput(output);
        // one row per idx: c's new row replaced its earlier one (same idx), d's stays, e took the next free idx
        expect(after.rows.map((row) => [row.id, row.idx, row.text])).toEqual([
            ["a", 0, "text of a"],
            ["b", 1, "text of b"],
            ["c", 2, "text of c, corrected"],
            ["d", 3, "text of d"],
            ["e", 4, "text of e"]
        ]);
        expect(committedCounts(after.manifest)).toEqual({rows: 5, errors: 0});
        // answered from the content it now has: nothing is changed any more
        expect((await annotate(options)).inputChanges).toMatchObject({newRows: 0, changed: 0, removed: 1});
    });

    test("--changed-rows keep keeps the earlier answer and reports the row every time, until a run answers it again", async () => {
        const input = writeJsonl(path.join(dir, "keep.jsonl"), rowsOf(["x", "y"]));
        const output = path.join(dir, "keep");
        const args = ["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4", "-p", "{text}", "--id-column", "id"];
        expect((await runCli(args)).code).toBe(0);
        writeJsonl(input, [{id: "x", text: "x, edited"}, ...rowsOf(["y"])]);
        for (let i = 0; i < 2; i++) {
            const kept = await runCli([...args, "--changed-rows", "keep"]);
            expect(kept.code, kept.stderr).toBe(0);
            expect(kept.stderr).toContain("airlabel: input: 1 row changed since answered (idx 0): earlier answers kept (--changed-rows keep)");
            expect((await readOutput(output)).rows.map((row) => row.text)).toEqual(["text of x", "text of y"]);
        }
        const regenerated = await runCli([...args, "--json"]);
        expect(regenerated.code, regenerated.stderr).toBe(0);
        expect(JSON.parse(regenerated.stdout)).toMatchObject({doneRows: 1, inputChanges: {changed: 1, changedRows: "regenerate", changedIdx: [0]}});
        expect((await readOutput(output)).rows.map((row) => row.text)).toEqual(["x, edited", "text of y"]);
    });

    test("a repeated, missing or empty id stops the run in one line naming the row; another --id-column is another run", async () => {
        const cases: [unknown[], RegExp][] = [
            [
                [
                    {id: "a", text: "1"},
                    {id: "b", text: "2"},
                    {id: "a", text: "3"}
                ],
                /^airlabel: .*dup\.jsonl line 3: id "a" \(column "id", --id-column\) is also the id of .*dup\.jsonl line 1; each row needs its own id$/u
            ],
            [
                [{id: "a", text: "1"}, {text: "2"}],
                /^airlabel: .*dup\.jsonl line 2: column "id" \(--id-column\) holds nothing, not an id; give every row a non-empty string or integer id there$/u
            ],
            [[{id: " ", text: "1"}], /^airlabel: .*dup\.jsonl line 1: column "id" \(--id-column\) holds " ", not an id/u]
        ];
        for (const [rows, message] of cases) {
            const input = writeJsonl(path.join(dir, "dup.jsonl"), rows);
            const output = path.join(dir, `dup-${cases.findIndex(([r]) => r === rows)}`);
            const run = await runCli(["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4", "-p", "{text}", "--id-column", "id"]);
            expect(run.code).toBe(1);
            expect(run.stderr.trim()).toMatch(message);
            expect(fs.existsSync(path.join(output, "manifest.json"))).toBe(false);
        }
        const input = writeJsonl(path.join(dir, "other.jsonl"), [{id: 1, key: "k1", text: "1"}]);
        const output = path.join(dir, "other");
        await annotate({input, model, output, maxTokens: 4, template: "{text}", idColumn: "id"});
        await expect(annotate({input, model, output, maxTokens: 4, template: "{text}", idColumn: "key"})).rejects.toThrow(
            /holds a run with a different options \(was \{"idColumn":"id"\}, now \{"idColumn":"key"\}\)/u
        );
    });
});
