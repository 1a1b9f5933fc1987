import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// row(row): llm_annotator's preprocess_fn. Fields it returns are merged over the record before the template,
// --keep-columns and the output see it; a row it fails on goes to errors/ (stage hook) and the others go on.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

describe("the row hook", () => {
    test("changed and added fields reach the template, --keep-columns and the output; a throw fails its row only", async () => {
        const hooks = path.join(dir, "clean.mjs");
        fs.writeFileSync(
            hooks,
            [
                "export function row(row) {",
                "    if (row.text === 'boom') throw new Error('cannot clean this row');",
                "    return {text: row.text.trim().toLowerCase(), words: row.text.trim().split(/\\s+/).length};",
                "}",
                ""
            ].join("\n")
        );
        const input = writeJsonl(path.join(dir, "in.jsonl"), [
            {text: "  Great PHONE  ", id: 1},
            {text: "boom", id: 2},
            {text: "Bad", id: 3}
        ]);
        const output = path.join(dir, "out");
        const logs: string[] = [];
        const result = await annotate({
            input,
            model,
            output,
            hooks,
            template: "{text} ({words} words)",
            keepColumns: ["id", "text", "words"],
            maxTokens: 4,
            onLog: (line) => logs.push(line)
        });
        expect(result).toMatchObject({okRows: 2, failedRows: 1, complete: true});
        const {rows, errors} = await readOutput(output);
        expect(rows.map((row) => [row.idx, row.id, row.text, row.words])).toEqual([
            [0, 1, "great phone", 2],
            [2, 3, "bad", 1]
        ]);
        expect(errors.map((row) => [row.idx, row.stage, row.reason])).toEqual([[1, "hook", "clean.mjs row() threw: cannot clean this row"]]);
        // the prompt the model saw is the cleaned one
        const prepared = await runCli([
            "prepare",
            "-i",
            input,
            "-m",
            model,
            "-o",
            path.join(dir, "prep"),
            "--hooks",
            hooks,
            "-p",
            "{text} ({words} words)",
            "--json"
        ]);
        expect(prepared.code, prepared.stderr).toBe(0);
        expect(JSON.parse(prepared.stdout)).toMatchObject({firstPrompt: "great phone (2 words)"});
    });

    test("a row hook that returns something other than an object fails the row in one line", async () => {
        const hooks = path.join(dir, "wrong.mjs");
        fs.writeFileSync(hooks, "export const row = (row) => row.text.length;\n");
        const input = writeJsonl(path.join(dir, "wrong.jsonl"), [{text: "a"}]);
        const output = path.join(dir, "wrong");
        await annotate({input, model, output, hooks, maxTokens: 4});
        expect((await readOutput(output)).errors.map((row) => row.reason)).toEqual([
            "wrong.mjs row() returned a number; return an object of the fields to change or add (or nothing)"
        ]);
    });
});
