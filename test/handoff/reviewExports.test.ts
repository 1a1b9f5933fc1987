import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {compareModels} from "../../src/compare/compareModels.js";
import {readHandoffSource} from "../../src/handoff/readHandoffSource.js";
import {ReviewLog} from "../../src/handoff/ReviewLog.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// What the reviews of `airlabel review` become: the gold dataset, SFT examples and preference pairs, from a real
// comparison of two generated models and reviews written through the review log itself.

let dir: string;
let output: string;
let answers: Map<number, Record<string, unknown>>;
const readLines = (file: string) =>
    fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
    dir = tempDir();
    output = path.join(dir, "compare");
    const input = writeJsonl(
        path.join(dir, "in.jsonl"),
        Array.from({length: 4}, (_, i) => ({text: `item ${i}`}))
    );
    const models = [await generatedModel(), await generatedModel(1_200_000)];
    await compareModels({input, models, output, template: "Say: {text}", maxTokens: 6, temperature: 0.9, seed: 3});
    const source = await readHandoffSource(output);
    answers = new Map(source.rows.map((row) => [row.idx, Object.fromEntries(Object.entries(row.responses).map(([id, r]) => [id, r.annotation]))]));
    const [a, b] = source.models.map((model) => model.id) as [string, string];
    const log = await ReviewLog.open(output);
    const base = {model: a, ratings: {}, better: null, comment: ""};
    await log.append({...base, annotator: "ann", idx: 0, action: "accept", value: answers.get(0)![a], better: b});
    await log.append({...base, annotator: "ann", idx: 1, action: "correct", value: "a corrected answer", ratings: {[a]: 2, [b]: 5}});
    await log.append({...base, annotator: "ann", idx: 2, action: "reject", value: null});
    await log.append({...base, annotator: "bob", idx: 2, action: "correct", value: "bob's answer"});
    await log.append({...base, annotator: "ann", idx: 3, action: "skip", value: null});
    await log.close();
}, 120_000);

describe("exports from the reviews", () => {
    test("gold: the reviewed answers over the model answers, ties and provenance kept", async () => {
        const gold = await runCli(["export", output, "--to", "gold", "--json"]);
        expect(gold.code, gold.stderr).toBe(0);
        expect(JSON.parse(gold.stdout)).toMatchObject({rows: 4, reviewed: 2, fromModel: 1, rejected: 0, ties: 1});
        const rows = readLines(path.join(output, "export", "gold.jsonl"));
        expect(rows.map((row) => [row.idx, row.gold_source])).toEqual([
            [0, "review"],
            [1, "review"],
            [2, "tie"],
            [3, "model"]
        ]);
        expect(rows[1]).toMatchObject({gold: "a corrected answer", text: "item 1", model_answers: answers.get(1)});
        expect(rows[2]!.reviews).toEqual([
            expect.objectContaining({annotator: "ann", action: "reject"}),
            expect.objectContaining({annotator: "bob", action: "correct"})
        ]);
    });

    test("sft: one chat example per accepted or corrected row, the instruction rendered with the run's template", async () => {
        const missing = await runCli(["export", output, "--to", "sft"]);
        expect(missing.code).toBe(2);
        expect(missing.stderr.trim()).toBe(
            "airlabel: --to sft renders each row's instruction with the run's template: give --template, --prompt or the run's --config"
        );
        const sft = await runCli(["export", output, "--to", "sft", "--prompt", "Say: {text}", "--system", "Be brief.", "--json"]);
        expect(sft.code, sft.stderr).toBe(0);
        expect(JSON.parse(sft.stdout)).toMatchObject({examples: 3, unused: 2});
        const examples = readLines(path.join(output, "export", "sft.jsonl"));
        expect(examples.map((example) => [example.idx, example.annotator])).toEqual([
            [0, "ann"],
            [1, "ann"],
            [2, "bob"]
        ]);
        expect(examples[1]!.messages).toEqual([
            {role: "system", content: "Be brief."},
            {role: "user", content: "Say: item 1"},
            {role: "assistant", content: "a corrected answer"}
        ]);
    });

    test("preference: pairs from the better choice or from the ratings, only between different answers", async () => {
        const pairs = await runCli(["export", output, "--to", "preference", "--prompt", "Say: {text}", "--json"]);
        expect(pairs.code, pairs.stderr).toBe(0);
        const rows = readLines(path.join(output, "export", "preference.jsonl"));
        const source = await readHandoffSource(output);
        const [a, b] = source.models.map((model) => model.id) as [string, string];
        const expected: Record<string, unknown>[] = [];
        // idx 0: ann found b better; idx 1: ann rated b 5 and a 2 (each a pair only where the two answers differ)
        if (JSON.stringify(answers.get(0)![a]) !== JSON.stringify(answers.get(0)![b]))
            expected.push({idx: 0, chosen_model: b, rejected_model: a, chosen: [{role: "assistant", content: answers.get(0)![b]}]});
        if (JSON.stringify(answers.get(1)![a]) !== JSON.stringify(answers.get(1)![b])) expected.push({idx: 1, chosen_model: b, rejected_model: a});
        expect(expected.length).toBeGreaterThan(0);
        expect(rows).toEqual(expected.map((pair) => expect.objectContaining(pair)));
        expect(JSON.parse(pairs.stdout)).toMatchObject({examples: expected.length, unused: 5 - expected.length});
        expect(rows[0]!.prompt).toEqual([{role: "user", content: `Say: item ${String(rows[0]!.idx)}`}]);
    });
});
