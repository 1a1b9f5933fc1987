import fs from "node:fs";
import path from "node:path";
import type {LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {chatWrapperFor, formatPrompt} from "../../src/llama/formatPrompt.js";
import {loadLlama} from "../../src/llama/loadLlama.js";
import {tokenizePrompt} from "../../src/llama/tokenizePrompt.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {fewShotExamples} from "../../src/prepare/fewShotExamples.js";
import {prepare} from "../../src/prepare/prepare.js";
import type {PreparedRow} from "../../src/prepare/PreparedJob.js";
import {FakeOpenAIServer} from "../backends/support/FakeOpenAIServer.js";
import {jobFixture, writeJsonl} from "../support/fixtures.js";

// A whole conversation per row: the system message, fixed few-shot examples (--examples) or a prompt hook's message
// list, then the row's prompt. The model's chat template renders it locally; the openai backend sends it as messages.

const rows = [{text: "the soup was cold"}, {text: "lovely staff, would come back"}, {text: "too loud to talk"}];
const examples = [
    {text: "I loved it", answer: "positive"},
    {text: "Broke in a day", answer: "negative"}
];
const system = "Label the review's sentiment.";
const template = "Review: {text}";
const choices = ["positive", "negative"];

/** A prompt hook returning a message list of its own: system, one example pair, the row. */
const hooksSource = `export function prompt(row) {
    return [
        {role: "system", content: "Answer with one word."},
        {role: "user", content: "Review: it was fine"},
        {role: "assistant", content: '"positive"'},
        {role: "user", content: "Review: " + row.text}
    ];
}
`;

let model: string;
let dir: string;
let input: string;
let examplesFile: string;
let hooks: string;
let vocab: LlamaModel;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
    examplesFile = writeJsonl(path.join(dir, "examples.jsonl"), examples);
    hooks = path.join(dir, "hooks.mjs");
    fs.writeFileSync(hooks, hooksSource);
    vocab = await (await loadLlama("cpu")).loadModel({modelPath: model, vocabOnly: true});
});
afterAll(async () => {
    await vocab.dispose();
});

/** What the model sees for a conversation, as text with its special tokens, and how many tokens it is. */
function seen(chatTemplate: "auto" | "none", rowSystem: string | undefined, prompt: string, turns: Parameters<typeof formatPrompt>[3]) {
    const tokens = tokenizePrompt(vocab, formatPrompt(chatWrapperFor(vocab, chatTemplate), rowSystem, prompt, turns));
    return {text: vocab.detokenize(tokens, true), tokens: tokens.length};
}

async function preparedRows(options: Partial<Parameters<typeof prepare>[0]> & {output: string}): Promise<PreparedRow[]> {
    const {job} = await prepare({
        input,
        model,
        template,
        templateOrigin: "t",
        chatTemplate: "auto",
        sort: "longest",
        dedup: false,
        skipInvalidRows: false,
        ...options
    });
    const all: PreparedRow[] = [];
    for await (const window of job.windows()) all.push(...window.rows);
    return all.sort((a, b) => a.idx - b.idx);
}

describe("local engine (generated model with a ChatML template)", () => {
    test("--examples: the model sees system, the example pairs in order and the row in its chat format; prepare's token counts are what the engine evaluated", async () => {
        const fewShot = (await fewShotExamples({examples: examplesFile, choices, template}, null))!;
        // with --choices the answers are written as the model is to answer them: JSON strings
        expect(fewShot.turns).toEqual([
            {role: "user", content: "Review: I loved it"},
            {role: "assistant", content: '"positive"'},
            {role: "user", content: "Review: Broke in a day"},
            {role: "assistant", content: '"negative"'}
        ]);
        const first = seen("auto", system, "Review: the soup was cold", fewShot.turns);
        expect(first.text).toBe(
            "<s><|im_start|>system\nLabel the review's sentiment.<|im_end|>\n" +
                '<|im_start|>user\nReview: I loved it<|im_end|>\n<|im_start|>assistant\n"positive"<|im_end|>\n' +
                '<|im_start|>user\nReview: Broke in a day<|im_end|>\n<|im_start|>assistant\n"negative"<|im_end|>\n' +
                "<|im_start|>user\nReview: the soup was cold<|im_end|>\n<|im_start|>assistant\n"
        );

        const output = path.join(dir, "out-local");
        const prepared = await preparedRows({output, system, examples: examplesFile, choices});
        expect(prepared.map((row) => [row.prompt, row.promptTokens, row.turns])).toEqual(
            rows.map((row) => [`Review: ${row.text}`, seen("auto", system, `Review: ${row.text}`, fewShot.turns).tokens, undefined])
        );
        // the examples count: without them every row is shorter
        expect(prepared[0]!.promptTokens).toBeGreaterThan(seen("auto", system, "Review: the soup was cold", []).tokens + 20);

        const result = await annotate({input, model, output, template, system, examples: examplesFile, choices, maxTokens: 16, parallel: 2});
        expect(result).toMatchObject({complete: true, okRows: 3, failedRows: 0, preparedFromCache: true});
        const out = await readOutput(output);
        expect(out.rows.map((row) => [row.idx, choices.includes(row.annotation as string), row.prompt_tokens])).toEqual(
            prepared.map((row) => [row.idx, true, row.promptTokens])
        );
    });

    test("without a chat template the conversation is a plain transcript, its messages separated by a blank line", async () => {
        const fewShot = (await fewShotExamples({examples: examplesFile, template}, null))!;
        // free text: a string answer as it is
        expect(fewShot.turns[1]).toEqual({role: "assistant", content: "positive"});
        expect(seen("none", system, "Review: too loud to talk", fewShot.turns).text).toBe(
            "<s>Label the review's sentiment.\n\nReview: I loved it\n\npositive\n\nReview: Broke in a day\n\nnegative\n\nReview: too loud to talk"
        );
        const output = path.join(dir, "out-raw");
        const prepared = await preparedRows({output, system, examples: examplesFile, chatTemplate: "none"});
        expect(prepared.map((row) => row.promptTokens)).toEqual(rows.map((row) => seen("none", system, `Review: ${row.text}`, fewShot.turns).tokens));
        await annotate({input, model, output, template, system, examples: examplesFile, chatTemplate: "none", maxTokens: 4});
        expect((await readOutput(output)).rows.map((row) => row.prompt_tokens)).toEqual(prepared.map((row) => row.promptTokens));
    });

    test("a prompt hook's message list is the row's conversation, in prepare, in its cache and in the worker", async () => {
        const output = path.join(dir, "out-hook");
        const turns = [
            {role: "user", content: "Review: it was fine"},
            {role: "assistant", content: '"positive"'}
        ];
        const prepared = await preparedRows({output, hooks, system});
        expect(prepared.map((row) => [row.prompt, row.system, row.turns, row.promptTokens])).toEqual(
            rows.map((row) => [
                `Review: ${row.text}`,
                "Answer with one word.",
                turns,
                seen("auto", "Answer with one word.", `Review: ${row.text}`, turns as Parameters<typeof formatPrompt>[3]).tokens
            ])
        );
        expect(await preparedRows({output, hooks, system})).toEqual(prepared);
        const hooked = await annotate({input, model, output, template, hooks, system, choices, maxTokens: 16});
        expect(hooked).toMatchObject({complete: true, okRows: 3, preparedFromCache: true});
        const out = await readOutput(output);
        expect(out.rows.map((row) => row.prompt_tokens)).toEqual(prepared.map((row) => row.promptTokens));
    });
});

describe("openai backend (a real HTTP server on 127.0.0.1)", () => {
    let server: FakeOpenAIServer;
    beforeAll(async () => {
        server = await FakeOpenAIServer.start();
    });
    afterAll(async () => {
        await server.close();
    });

    /** The request bodies of the rows (not the startup probe) since request `from`, by their last message. */
    const bodiesSince = (from: number) =>
        server.requests
            .filter((request) => request.n > from && !request.isProbe)
            .map((request) => request.body)
            .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const remote = {model: "fake-model", backend: "openai" as const};

    test("chat endpoint: messages are exactly the system message, the example pairs, the row", async () => {
        const from = server.requests.length;
        const output = path.join(dir, "out-chat");
        const result = await annotate({...remote, baseUrl: server.url, input, output, template, system, examples: examplesFile, choices});
        expect(result).toMatchObject({complete: true, okRows: 3});
        const bodies = bodiesSince(from);
        expect(bodies.map((body) => body.messages)).toEqual(
            [...rows]
                .sort((a, b) => a.text.localeCompare(b.text))
                .map((row) => [
                    {role: "system", content: system},
                    {role: "user", content: "Review: I loved it"},
                    {role: "assistant", content: '"positive"'},
                    {role: "user", content: "Review: Broke in a day"},
                    {role: "assistant", content: '"negative"'},
                    {role: "user", content: `Review: ${row.text}`}
                ])
        );
        // the startup probe is sent without the examples
        const probe = server.requests.find((request) => request.n > from && request.isProbe)!;
        expect((probe.body.messages as unknown[]).length).toBe(1);
    });

    test("completions endpoint: one prompt, the messages separated by a blank line", async () => {
        const from = server.requests.length;
        const output = path.join(dir, "out-completions");
        await annotate({...remote, baseUrl: server.url, endpoint: "completions", input, output, template, system, examples: examplesFile, maxRows: 1});
        expect(bodiesSince(from).map((body) => body.prompt)).toEqual([
            "Label the review's sentiment.\n\nReview: I loved it\n\npositive\n\nReview: Broke in a day\n\nnegative\n\nReview: the soup was cold"
        ]);
    });

    test("a prompt hook's message list is sent as it is", async () => {
        const from = server.requests.length;
        await annotate({...remote, baseUrl: server.url, input, output: path.join(dir, "out-remote-hook"), hooks, choices, maxRows: 1});
        expect(bodiesSince(from).map((body) => body.messages)).toEqual([
            [
                {role: "system", content: "Answer with one word."},
                {role: "user", content: "Review: it was fine"},
                {role: "assistant", content: '"positive"'},
                {role: "user", content: "Review: the soup was cold"}
            ]
        ]);
    });
});
