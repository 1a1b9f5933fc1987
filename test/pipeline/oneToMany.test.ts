import fs from "node:fs";
import path from "node:path";
import {tableFromIPC} from "apache-arrow";
import {parquetReadObjects} from "hyparquet";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {compareModels} from "../../src/compare/compareModels.js";
import {exportRun} from "../../src/handoff/exportRun.js";
import {handoffStats} from "../../src/handoff/handoffStats.js";
import {importReviews} from "../../src/handoff/importReviews.js";
import {startReviewServer} from "../../src/review/reviewServer.js";
import {runJob} from "../../src/jobs/runJob.js";
import {RESERVED_OUTPUT_COLUMNS} from "../../src/output/OutputRow.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {FakeOpenAIServer} from "../backends/support/FakeOpenAIServer.js";
import {jobFixture, tempDir, writeJsonl} from "../support/fixtures.js";

// --one-to-many: the answer (after the parse hook) is a list whose elements are the output rows. The shards keep one
// row per input row; readOutput, every export table and stats give one row per item, with item and row_id.

type Row = Record<string, unknown>;

const rows = Array.from({length: 8}, (_, n) => ({id: `r${n}`, text: `story ${n} about a cat`, n}));
const pair = {
    type: "object",
    properties: {q: {type: "string", maxLength: 8}, a: {type: "string", maxLength: 8}},
    required: ["q", "a"],
    additionalProperties: false
};
const refusal = (output: string, what: string) =>
    `${output}/ holds a one-to-many run (each answer a list of output rows), and ${what} takes one answer per input row; export its items as a table instead (airlabel export ${output} --to items.jsonl: one row per item, with row_id)`;
const pairShape = {q: expect.any(String), a: expect.any(String)};
/** Exactly two Q&A pairs per answer (the grammar makes the model write two). */
const twoPairs = {type: "array", items: pair, minItems: 2, maxItems: 2};

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
});

const base = () => ({input, model, template: "Questions about: {text}", maxTokens: 64, parallel: 2, gpu: "cpu" as const});

/** An exported table read back with its format's own reader, as plain records (int64 as numbers, JSON text parsed). */
async function readTable(file: string): Promise<Row[]> {
    const bytes = fs.readFileSync(file);
    let records: Row[];
    if (file.endsWith(".jsonl"))
        records = bytes
            .toString("utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => JSON.parse(line) as Row);
    else if (file.endsWith(".parquet"))
        records = await parquetReadObjects({file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer});
    else {
        const table = tableFromIPC(bytes);
        records = Array.from({length: table.numRows}, (_, i) =>
            Object.fromEntries(table.schema.fields.map((field) => [field.name, table.getChild(field.name)?.get(i) as unknown]))
        );
    }
    return records.map((record) =>
        Object.fromEntries(
            Object.entries(record).map(([name, value]) => [
                name,
                typeof value === "bigint" ? Number(value) : name === "annotation" && typeof value === "string" ? JSON.parse(value) : value
            ])
        )
    );
}

describe("a schema whose answer is a list of Q&A pairs (parquet shards)", () => {
    let output: string;
    beforeAll(async () => {
        output = path.join(dir, "out-pairs");
        const result = await annotate({...base(), output, schema: twoPairs, oneToMany: true, format: "parquet", shardSize: 3});
        expect(result).toMatchObject({complete: true, okRows: 8, failedRows: 0});
    });

    test("the shards keep one row per input row; readOutput gives one row per item with idx, item, row_id and the input columns as read", async () => {
        const stored = await readOutput(output, {items: false});
        expect(stored.rows.map((row) => row.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        for (const row of stored.rows) expect(row.annotation).toEqual([pairShape, pairShape]);
        const {rows: items, errors} = await readOutput(output);
        expect(errors).toEqual([]);
        expect(items.map((row) => row.row_id)).toEqual(rows.flatMap((_, idx) => [`${idx}-0`, `${idx}-1`]));
        for (const row of items) {
            const idx = row.idx as number;
            expect(Object.keys(row)).toEqual([
                "idx",
                "item",
                "row_id",
                "id",
                "text",
                "n",
                "annotation",
                "finish_reason",
                "prompt_tokens",
                "completion_tokens",
                "attempts",
                "model"
            ]);
            expect(row).toMatchObject({...rows[idx], annotation: (stored.rows[idx]!.annotation as unknown[])[row.item as number]});
        }
    });

    test("airlabel export writes the same rows to jsonl, parquet, arrow and csv, and counts the input rows they came from", async () => {
        const {rows: items} = await readOutput(output);
        for (const ext of ["jsonl", "parquet", "arrow"]) {
            const file = path.join(dir, `pairs.${ext}`);
            const exported = await exportRun({dir: output, to: file});
            expect(exported).toMatchObject({kind: "table", result: {rows: 16, errors: 0, oneToMany: {answeredRows: 8, emptyRows: 0}}});
            expect(await readTable(file), ext).toEqual(items);
        }
        const csv = path.join(dir, "pairs.csv");
        const exported = await exportRun({dir: output, to: csv});
        expect(exported).toMatchObject({kind: "handoff", result: {records: 16, oneToMany: {answeredRows: 8, emptyRows: 0}}});
        const lines = fs.readFileSync(csv, "utf8").trim().split("\n");
        expect(lines[0]!.split(",").slice(0, 8)).toEqual(["idx", "item", "row_id", "id", "text", "n", "annotation.q", "annotation.a"]);
        expect(lines.slice(1).map((line) => line.split(",").slice(0, 3).join(","))).toEqual(items.map((row) => `${row.idx},${row.item},${row.row_id}`));
    });

    test("stats counts input rows and output rows; review hand-offs are refused with what to do instead", async () => {
        const stats = await handoffStats({dir: output, field: "q"});
        expect(stats.models).toMatchObject([{rows: 8, valid: 8, failed: 0, missing: 0, oneToMany: {outputRows: 16, emptyRows: 0}}]);
        for (const [to, name] of [
            ["prodigy", "Prodigy"],
            ["argilla", "Argilla"],
            ["label-studio", "Label Studio"]
        ] as const)
            await expect(exportRun({dir: output, to})).rejects.toThrow(refusal(output, `the ${name} export`));
        await expect(importReviews({dir: output, file: path.join(dir, "pairs.jsonl")})).rejects.toThrow(refusal(output, "airlabel import"));
        await expect(startReviewServer({dir: output, port: 0})).rejects.toThrow(refusal(output, "airlabel review"));
    });
});

describe("a parse hook that splits an answer into a list", () => {
    const hooksSource = `
export function parse(row, answer) {
    if (row.n === 5) return {q: answer.q};
    if (row.n === 6) return "no list";
    return Array.from({length: row.n % 4}, (_, part) => ({...answer, part}));
}
`;

    test("an empty list is an answer with no output row; a hook that returns no list fails its row at stage hook", async () => {
        const hooks = path.join(dir, "split.mjs");
        fs.writeFileSync(hooks, hooksSource);
        const output = path.join(dir, "out-split");
        const result = await annotate({...base(), output, schema: pair, hooks, oneToMany: true, shardSize: 2});
        expect(result).toMatchObject({complete: true, okRows: 6, failedRows: 2});
        const {rows: items, errors} = await readOutput(output);
        const reason = (what: string) =>
            `split.mjs parse() returned ${what}, not a list; in a --one-to-many run it returns the list of the row's output rows (an empty list for none)`;
        expect(errors.map((error) => [error.idx, error.stage, error.reason, error.attempts])).toEqual([
            [5, "hook", reason("an object"), 1],
            [6, "hook", reason("a string"), 1]
        ]);
        // rows 0 and 4 answered with an empty list: no row; rows 1, 2, 3, 7: n % 4 items each
        expect(items.map((row) => row.row_id)).toEqual(["1-0", "2-0", "2-1", "3-0", "3-1", "3-2", "7-0", "7-1", "7-2"]);
        for (const row of items) expect(row.annotation).toEqual({...pairShape, part: row.item});

        const file = path.join(dir, "split.jsonl");
        const exported = await exportRun({dir: output, to: file, includeErrors: true});
        expect(exported).toMatchObject({result: {rows: 11, errors: 2, oneToMany: {answeredRows: 6, emptyRows: 2}}});
        const table = await readTable(file);
        expect(table.map((row) => [row.idx, row.item, row.row_id, row.error === null ? null : "error"])).toEqual([
            ...[
                [1, 0, "1-0"],
                [2, 0, "2-0"],
                [2, 1, "2-1"],
                [3, 0, "3-0"],
                [3, 1, "3-1"],
                [3, 2, "3-2"]
            ].map((entry) => [...entry, null]),
            [5, null, null, "error"],
            [6, null, null, "error"],
            ...[
                [7, 0, "7-0"],
                [7, 1, "7-1"],
                [7, 2, "7-2"]
            ].map((entry) => [...entry, null])
        ]);
        const stats = await handoffStats({dir: output, field: "part"});
        expect(stats.models).toMatchObject([{rows: 8, valid: 6, failed: 2, oneToMany: {outputRows: 9, emptyRows: 2}}]);
    });
});

describe("answers that are not lists", () => {
    test.each([
        [{choices: ["yes", "no"]}, "--choices answers are single labels"],
        [{}, "without a schema answers are free text"],
        [{schema: pair}, "the schema's answers are of type object"],
        [{schema: {type: ["string", "object"]}}, "the schema's answers are of type string or object"]
    ])("are refused before any model loads without a parse hook: %j", async (answer, why) => {
        await expect(annotate({...base(), output: path.join(tempDir(), "out"), oneToMany: true, ...answer})).rejects.toThrow(
            `--one-to-many needs list answers, and ${why}; give a --schema of "type": "array" (one output row per item), or a parse hook (--hooks) that returns the list`
        );
    });

    describe("a schema that allows a list or an object, answered with an object (openai backend)", () => {
        let server: FakeOpenAIServer;
        beforeAll(async () => {
            server = await FakeOpenAIServer.start({script: (request) => (request.isProbe ? undefined : {answer: '{"q": "why", "a": "so"}'})});
        });
        afterAll(async () => {
            await server.close();
        });

        test("is invalid: retried, then the row fails at stage validate with the reason", async () => {
            const output = path.join(tempDir(), "out");
            const schema = {anyOf: [pair, {type: "array", items: pair}]};
            const result = await annotate({
                ...base(),
                model: "fake-model",
                backend: "openai",
                baseUrl: server.url,
                output,
                schema,
                oneToMany: true,
                maxRows: 2
            });
            expect(result).toMatchObject({complete: true, okRows: 0, failedRows: 2});
            const {errors} = await readOutput(output);
            expect(errors.map((error) => [error.stage, error.reason, error.attempts])).toEqual(
                Array(2).fill([
                    "validate",
                    'the answer is an object, not a list; a --one-to-many run stores one output row per element of a list answer (give a schema of "type": "array", or a parse hook that returns a list) (after 3 attempts)',
                    3
                ])
            );
        });
    });
});

describe("what a one-to-many run refuses", () => {
    test("input columns named item or row_id, which its readers write", async () => {
        const file = writeJsonl(path.join(tempDir(), "items.jsonl"), [{text: "a", item: "cup"}]);
        await expect(annotate({...base(), input: file, output: path.join(tempDir(), "out"), schema: twoPairs, oneToMany: true})).rejects.toThrow(
            `${file}: input column "item" has the name of a column airlabel writes itself (${[...RESERVED_OUTPUT_COLUMNS, "item", "row_id"].join(", ")}), which would replace its values; rename the column in ${file}, or leave it out with --keep-columns (e.g. --keep-columns text)`
        );
        // the same input is fine for a run whose rows are its input rows
        await expect(annotate({...base(), input: file, output: path.join(tempDir(), "out"), schema: twoPairs})).resolves.toMatchObject({okRows: 1});
    });

    test("a comparison and a job with steps, which pass their rows on one per input row", async () => {
        await expect(
            compareModels({...base(), output: path.join(tempDir(), "cmp"), models: [model, model], schema: twoPairs, oneToMany: true})
        ).rejects.toThrow(
            "--one-to-many is for a single model's run (a comparison lines the models' answers up one row per input row); run each model with its own --output"
        );
        const job = {input, output: path.join(tempDir(), "job"), oneToMany: true, steps: [{name: "qa", model, prompt: "{text}"}]};
        await expect(runJob({job})).rejects.toThrow(
            "--one-to-many is for a single run (the steps of a job pass their rows on one per input row); run it without steps:, or as its own airlabel run over the job's result"
        );
    });
});
