import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import type {AnnotateOptions} from "../../src/options/AnnotateOptions.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {fewShotExamples} from "../../src/prepare/fewShotExamples.js";
import {prepare} from "../../src/prepare/prepare.js";
import type {PreparedFailure, PreparedRow} from "../../src/prepare/PreparedJob.js";
import {jobFixture, runCli, writeJsonl} from "../support/fixtures.js";

// Few-shot examples and message lists are checked at the boundary: a file or an example that cannot be used stops
// the run before any model loads, with one line naming the file and line; a prompt hook's bad message list fails its
// row (errors/, stage "hook") with a reason naming the message at fault.

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture([{text: "the soup was cold"}, {text: "lovely staff"}]));
});

const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
};

/** The message a run with these examples stops with. */
async function refusal(options: Partial<AnnotateOptions>): Promise<string> {
    const run = annotate({input, model, output: path.join(dir, "out"), template: "Review: {text}", ...options});
    const error = await run.then(
        () => null,
        (err: unknown) => err as Error
    );
    expect(error).not.toBeNull();
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
    return error!.message;
}

describe("--examples refused at the boundary, naming the file and line", () => {
    test("a missing file, an empty one, a line that is not JSON, an integer the run cannot record exactly", async () => {
        const missing = path.join(dir, "none.jsonl");
        expect(await refusal({examples: missing})).toBe(`--examples file ${missing} not found; check the path`);
        const empty = write("empty.jsonl", "");
        expect(await refusal({examples: empty})).toBe(`--examples file ${empty} holds no examples; give one example per row, its answer in "answer"`);
        const big = write("big.jsonl", '{"text": "fine", "answer": "positive", "meta": {"id": 12345678901234567890}}\n');
        expect(await refusal({examples: big})).toBe(
            '--examples big.jsonl line 1: "meta.id" is an integer beyond 2^53, which the run cannot record exactly; write it as a string'
        );
        const broken = write("broken.jsonl", '{"text": "fine", "answer": "positive"}\n{"text": oops}\n');
        expect(await refusal({examples: broken})).toMatch(/^--examples broken\.jsonl line 2: invalid JSON \(.+\); fix the example$/u);
    });

    test("an example without its answer column, or with an empty one", async () => {
        const noAnswer = writeJsonl(path.join(dir, "no-answer.jsonl"), [
            {text: "fine", answer: "positive"},
            {text: "bad", label: "negative"}
        ]);
        expect(await refusal({examples: noAnswer})).toBe(
            '--examples no-answer.jsonl line 2: no "answer" column; give each example its answer there, or name the answer\'s column with --examples-answer-column'
        );
        // --examples-answer-column names another column
        expect(await refusal({examples: noAnswer, examplesAnswerColumn: "label"})).toBe(
            '--examples no-answer.jsonl line 1: no "label" column; give each example its answer there, or name the answer\'s column with --examples-answer-column'
        );
        const blank = writeJsonl(path.join(dir, "blank.jsonl"), [{text: "fine", answer: "  "}]);
        expect(await refusal({examples: blank})).toBe('--examples blank.jsonl line 1: the "answer" column is empty; give each example its answer');
    });

    test("an answer the run's schema or choices do not accept", async () => {
        const examples = writeJsonl(path.join(dir, "maybe.jsonl"), [
            {text: "fine", answer: "positive"},
            {text: "hm", answer: "maybe"}
        ]);
        expect(await refusal({examples, choices: ["positive", "negative"]})).toBe(
            '--examples maybe.jsonl line 2: the "answer" "maybe" does not match the run\'s answer schema ((root) must be equal to one of the allowed values); give the example an answer the schema accepts'
        );
        const schema = {type: "object", properties: {label: {enum: ["positive", "negative"]}}, required: ["label"], additionalProperties: false};
        const objects = writeJsonl(path.join(dir, "objects.jsonl"), [{text: "fine", answer: {label: "positive", why: "it says so"}}]);
        expect(await refusal({examples: objects, schema})).toBe(
            '--examples objects.jsonl line 1: the "answer" {"label":"positive","why":"it says so"} does not match the run\'s answer schema ((root) must NOT have additional properties); give the example an answer the schema accepts'
        );
    });

    test("an example the template cannot render names the example's line", async () => {
        const examples = writeJsonl(path.join(dir, "review-column.jsonl"), [{review: "fine", answer: "positive"}]);
        expect(await refusal({examples, templateOrigin: "template t.txt"})).toBe(
            "template t.txt uses {text}, which review-column.jsonl line 1 does not have; columns available: review, answer"
        );
    });

    test("with a prompt hook (which replaces the template the examples need)", async () => {
        const hooks = write("prompt-hook.mjs", "export const prompt = (row) => row.text;\n");
        const examples = writeJsonl(path.join(dir, "ok.jsonl"), [{text: "fine", answer: "positive"}]);
        expect(await refusal({examples, hooks})).toBe(
            "--examples are rendered with the template, which the prompt() hook of prompt-hook.mjs replaces; return a message list from prompt() for few-shot turns, or leave out --examples"
        );
    });

    test("the CLI prints the same line and exits 1", async () => {
        const missing = path.join(dir, "gone.jsonl");
        const run = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "out-cli"), "--examples", missing, "-q"]);
        expect({code: run.code, stderr: run.stderr}).toEqual({code: 1, stderr: `airlabel: --examples file ${missing} not found; check the path\n`});
    });
});

test("answers are written as the model is to answer: canonical JSON with a schema, text as it is without", async () => {
    const csv = write("examples.csv", 'text,answer\n"great, really",positive\n');
    const schema = {type: "object", properties: {label: {type: "string"}, confidence: {type: "number"}}};
    const jsonl = writeJsonl(path.join(dir, "structured.jsonl"), [{text: "fine", verdict: {label: "positive", confidence: 0.9}}]);
    const turnsOf = async (options: Parameters<typeof fewShotExamples>[0]) => (await fewShotExamples({template: "R: {text}", ...options}, null))!.turns;
    expect(await turnsOf({examples: csv})).toEqual([
        {role: "user", content: "R: great, really"},
        {role: "assistant", content: "positive"}
    ]);
    expect((await turnsOf({examples: csv, choices: ["positive", "negative"]}))[1]).toEqual({role: "assistant", content: '"positive"'});
    expect((await turnsOf({examples: jsonl, examplesAnswerColumn: "verdict", schema}))[1]).toEqual({
        role: "assistant",
        content: '{"confidence":0.9,"label":"positive"}'
    });
    // free text: a value that is not a string as canonical JSON; the rows themselves work as a file's do
    expect(await turnsOf({examples: [{text: "x", answer: {b: 1, a: [true]}}]})).toEqual([
        {role: "user", content: "R: x"},
        {role: "assistant", content: '{"a":[true],"b":1}'}
    ]);
});

test("a prompt hook's message list that is not a conversation fails its row, naming the message at fault", async () => {
    const lists = [
        [],
        ["hi"],
        [{role: "bot", content: "x"}],
        [{role: "user"}],
        [{role: "user", content: 3}],
        [{role: "user", content: "a", name: "x"}],
        [
            {role: "user", content: "a"},
            {role: "system", content: "s"},
            {role: "user", content: "b"}
        ],
        [
            {role: "user", content: "a"},
            {role: "assistant", content: "b"}
        ],
        [{role: "system", content: "s"}],
        [{role: "user", content: "only the prompt"}]
    ];
    const rows = writeJsonl(
        path.join(dir, "lists.jsonl"),
        lists.map((_, i) => ({n: i}))
    );
    const hooks = write("lists.mjs", `const lists = ${JSON.stringify(lists)};\nexport const prompt = (row) => lists[row.n];\n`);
    const {job} = await prepare({
        input: rows,
        model,
        output: path.join(dir, "out-lists"),
        hooks,
        template: "{n}",
        templateOrigin: "t",
        chatTemplate: "auto",
        sort: "none",
        dedup: false,
        skipInvalidRows: false
    });
    const failures: PreparedFailure[] = [];
    const prepared: PreparedRow[] = [];
    for await (const window of job.windows()) {
        failures.push(...window.failures);
        prepared.push(...window.rows);
    }
    const each = 'each message must be {role: "system", "user" or "assistant", content: string}';
    expect(failures.map((failure) => [failure.idx, failure.location, failure.stage, failure.reason])).toEqual(
        [
            "returned an empty message list; return the prompt text, {prompt, system} or a message list ending with the user turn to answer",
            `returned a message list whose message 1 is a string; ${each}`,
            `returned a message list whose message 1 has role "bot"; ${each}`,
            `returned a message list whose message 1 has no content; ${each}`,
            `returned a message list whose message 1 has a number as content; ${each}`,
            `returned a message list whose message 1 has "name"; ${each}`,
            "returned a message list with a system message at message 2; only the first message may be the system message",
            "returned a message list ending with an assistant message; end it with the user turn to answer",
            "returned a message list ending with a system message; end it with the user turn to answer"
        ].map((reason, i) => [i, `lists.jsonl line ${i + 1}`, "hook", `lists.mjs prompt() ${reason}`])
    );
    // a list of one user message is a prompt alone
    expect(prepared.map((row) => [row.idx, row.prompt, row.system, row.turns])).toEqual([[9, "only the prompt", undefined, undefined]]);
});
