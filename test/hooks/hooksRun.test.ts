import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {annotate} from "../../src/pipeline/annotate.js";
import {prepare} from "../../src/prepare/prepare.js";
import type {PreparedFailure, PreparedJob, PreparedRow} from "../../src/prepare/PreparedJob.js";
import {readOutput} from "../../src/output/readOutput.js";
import {FakeOpenAIServer} from "../backends/support/FakeOpenAIServer.js";
import {jobFixture, storiesModel} from "../support/fixtures.js";

const rows = Array.from({length: 12}, (_, i) => ({id: `r${i}`, text: `review number ${i}`, stars: i % 5}));
const schema = {
    type: "object",
    properties: {label: {enum: ["positive", "negative", "neutral"]}, sarcastic: {type: "boolean"}},
    required: ["label", "sarcastic"],
    additionalProperties: false
};

/** Every kind of hook outcome, keyed by row id. */
const hooksSource = `
export function prompt(row) {
    if (row.id === "r3") throw new Error("no prompt for r3");
    if (row.id === "r4") return 42;
    if (row.id === "r5") return {prompt: "Classify: " + row.text, system: "You are a terse classifier. Answer in JSON."};
    return "Classify this review: " + row.text + " " + "!".repeat(row.stars * 20);
}
export function validate(row, answer) {
    if (row.id === "r1") return "r1 is never right";
    if (row.id === "r2") throw new Error("validator crashed");
    if (row.id === "r6") return 7;
    if (row.id === "r7") return new Promise(() => {});
    if (typeof answer.label !== "string") return false;
}
export async function parse(row, answer) {
    if (row.id === "r8") return () => "not data";
    return {label: answer.label, id: row.id, length: row.text.length};
}
`;

let model: string;
let dir: string;
let input: string;
let hooks: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
    hooks = path.join(dir, "hooks.mjs");
    fs.writeFileSync(hooks, hooksSource);
});

type Row = Record<string, unknown>;

/** Every row and failure of a prepared job, in generation order. */
async function windowsOf(job: PreparedJob): Promise<{rows: PreparedRow[]; failures: PreparedFailure[]}> {
    const all = {rows: [] as PreparedRow[], failures: [] as PreparedFailure[]};
    for await (const window of job.windows()) {
        all.rows.push(...window.rows);
        all.failures.push(...window.failures);
    }
    return all;
}
const byId = (records: Row[], id: string) => records.find((r) => r.idx === Number(id.slice(1)));

describe("hooks on the local engine (real worker, generated model)", () => {
    const output = () => path.join(dir, "out-local");
    const options = () => ({input, model, output: output(), schema, hooks, hookTimeoutMs: 500, maxTokens: 40, parallel: 3, retriesInvalid: 2});

    test("prompt() writes the prompts; validate() rejections are retried then recorded; parse() shapes the annotation; broken hooks go to errors (stage hook)", async () => {
        const result = await annotate(options());
        expect(result).toMatchObject({totalRows: 12, complete: true});
        const out = await readOutput(output());
        expect(out.rows.length + out.errors.length).toBe(12);
        const errors = Object.fromEntries(out.errors.map((e) => [`r${e.idx as number}`, e]));
        expect(errors.r3).toMatchObject({stage: "hook", reason: "hooks.mjs prompt() threw: no prompt for r3", attempts: 0});
        expect(errors.r4).toMatchObject({
            stage: "hook",
            reason: "hooks.mjs prompt() returned a number; return the prompt text, {prompt, system} or a message list ending with the user turn to answer"
        });
        expect(errors.r1).toMatchObject({stage: "validate", reason: "rejected by the validate hook: r1 is never right (after 3 attempts)", attempts: 3});
        expect(errors.r2).toMatchObject({stage: "hook", reason: "hooks.mjs validate() threw: validator crashed", attempts: 1});
        expect(errors.r6).toMatchObject({
            stage: "hook",
            reason: "hooks.mjs validate() returned a number; return true or nothing (valid), false or a reason string (invalid)"
        });
        expect(errors.r7).toMatchObject({stage: "hook", reason: "hooks.mjs validate() timed out after 500 ms"});
        expect(errors.r8).toMatchObject({stage: "hook", reason: "hooks.mjs parse() returned a function; return plain JSON data"});
        expect(Object.keys(errors).sort()).toEqual(["r1", "r2", "r3", "r4", "r6", "r7", "r8"]);
        for (const id of ["r0", "r5", "r9", "r10", "r11"]) {
            const row = byId(out.rows, id)!;
            expect(row.annotation).toEqual({
                label: expect.stringMatching(/^(positive|negative|neutral)$/u),
                id,
                length: rows[Number(id.slice(1))]!.text.length
            });
        }
        // the engine generated from the hook's prompts: 20 "!" per star (r9: 4 stars, r10: 0 stars)
        expect((byId(out.rows, "r9")!.prompt_tokens as number) - (byId(out.rows, "r10")!.prompt_tokens as number)).toBeGreaterThanOrEqual(70);
    });

    test("a prompt hook's system message is used for its row, in prepare and in the worker", async () => {
        const prepareOptions = {
            input,
            model,
            output: path.join(dir, "out-prepare"),
            hooks,
            template: "{text}",
            templateOrigin: "t",
            chatTemplate: "auto" as const,
            sort: "none" as const,
            dedup: false,
            skipInvalidRows: false
        };
        const prepared = await windowsOf((await prepare(prepareOptions)).job);
        const r5 = prepared.rows.find((r) => r.idx === 5)!;
        expect(r5).toMatchObject({prompt: "Classify: review number 5", system: "You are a terse classifier. Answer in JSON."});
        expect(prepared.rows.find((r) => r.idx === 0)!.system).toBeUndefined();
        expect(prepared.failures.map((f) => [f.idx, f.stage])).toEqual([
            [3, "hook"],
            [4, "hook"]
        ]);
        // the prepared-rows cache keeps the row's system message and the hook failures
        const again = await prepare(prepareOptions);
        expect(again.job.fromCache).toBe(true);
        expect(await windowsOf(again.job)).toEqual(prepared);
        // the worker counts the tokens it evaluates itself: the same as prepare's only if it used the row's system message
        expect(byId((await readOutput(output())).rows, "r5")!.prompt_tokens).toBe(r5.promptTokens);
    });

    test("the hooks file is part of the run identity: the same file resumes, a changed one is refused, naming it", async () => {
        const again = await annotate(options());
        expect(again).toMatchObject({resumedRows: 12, doneRows: 0, complete: true});
        fs.appendFileSync(hooks, "// changed\n");
        try {
            await expect(annotate(options())).rejects.toThrow(
                /holds a run with a different hooks file \(was hooks\.mjs sha256 [0-9a-f]{12}, now hooks\.mjs sha256 [0-9a-f]{12}\)/u
            );
        } finally {
            fs.writeFileSync(hooks, hooksSource);
        }
    });

    test("an empty input is refused with a prompt hook too (the hook replaces the template, not the rows)", async () => {
        const empty = path.join(dir, "empty.jsonl");
        fs.writeFileSync(empty, "");
        await expect(annotate({...options(), input: empty, output: path.join(dir, "out-empty")})).rejects.toThrow(
            `input ${empty} has no rows (it is empty); check the --input path`
        );
    });

    test("free text with a validate hook is retried too", async () => {
        const free = path.join(dir, "free.mjs");
        fs.writeFileSync(free, "export function validate(row, answer) { return answer.length > 100000 ? true : `too short (${typeof answer})`; }\n");
        await annotate({input, model, output: path.join(dir, "out-free"), hooks: free, maxTokens: 4, maxRows: 2, retriesInvalid: 1});
        const out = await readOutput(path.join(dir, "out-free"));
        expect(out.rows).toEqual([]);
        expect(out.errors.map((e) => [e.stage, e.reason, e.attempts])).toEqual([
            ["validate", "rejected by the validate hook: too short (string) (after 2 attempts)", 2],
            ["validate", "rejected by the validate hook: too short (string) (after 2 attempts)", 2]
        ]);
    });

    test.runIf(fs.existsSync(storiesModel))("stories260K: parse() and validate() with a real tokenizer", async () => {
        const stories = path.join(dir, "stories.mjs");
        fs.writeFileSync(
            stories,
            "export const validate = (row, answer) => row.stars !== 1 || 'one star rows are rejected';\nexport const parse = (row, answer) => ({happy: answer.happy, stars: row.stars});\n"
        );
        const output = path.join(dir, "out-stories");
        await annotate({
            input,
            model: storiesModel,
            output,
            hooks: stories,
            template: "Once upon a time {text}",
            schema: {type: "object", properties: {happy: {type: "boolean"}}, required: ["happy"], additionalProperties: false},
            maxTokens: 24
        });
        const out = await readOutput(output);
        expect(out.errors.map((e) => e.idx)).toEqual([1, 6, 11]);
        for (const row of out.rows) expect(row.annotation).toEqual({happy: expect.any(Boolean), stars: row.stars});
    });
});

describe("hooks on the openai backend (answers checked in the main thread)", () => {
    let server: FakeOpenAIServer;
    beforeAll(async () => {
        server = await FakeOpenAIServer.start();
    });
    afterAll(async () => {
        await server.close();
    });

    test("validate() rejections are retried with new requests, parse() shapes the annotation, a throwing hook fails its row, the row is the hooks' own copy", async () => {
        const remoteHooks = path.join(dir, "remote.mjs");
        fs.writeFileSync(
            remoteHooks,
            [
                "export const prompt = (row) => `Remote: ${row.text}`;",
                "export function validate(row, answer) { if (row.id === 'r1') return false; if (row.id === 'r2') throw new TypeError('bad row'); }",
                "export function parse(row, answer) { row.text = 'changed by parse'; return answer.label.toUpperCase(); }",
                ""
            ].join("\n")
        );
        const output = path.join(dir, "out-remote");
        await annotate({input, model: "fake-model", backend: "openai", baseUrl: server.url, output, schema, hooks: remoteHooks, maxRows: 4, maxTokens: 32});
        const out = await readOutput(output);
        // what a hook does to its row does not reach the stored columns
        expect(out.rows.map((r) => [r.idx, r.annotation, r.text])).toEqual([
            [0, "POSITIVE", "review number 0"],
            [3, "POSITIVE", "review number 3"]
        ]);
        expect(out.errors.map((e) => [e.idx, e.stage, e.reason, e.attempts])).toEqual([
            [1, "validate", "rejected by the validate hook: validate() returned false (after 3 attempts)", 3],
            [2, "hook", "remote.mjs validate() threw: bad row", 1]
        ]);
        expect(server.attemptsByPrompt().get("Remote: review number 1")).toBe(3);
    });
});
