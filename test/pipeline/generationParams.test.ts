import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readOutput} from "../../src/output/readOutput.js";
import {runJob} from "../../src/jobs/runJob.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// --param on the local backend: llama.cpp's own penalties and logit-bias samplers (through node-llama-cpp's native
// sampler) apply logit_bias, presence_penalty, frequency_penalty and repeat_last_n, in both generation drivers (the
// native decode loop and the JavaScript one); any other parameter is refused before the model loads.
//
// The generated model's vocabulary has the byte tokens <0x00>..<0xFF> at ids 3..258, so "Z" is 3 + 0x5a = 93 and
// "Y" 92. A bias of +100 outweighs the random model's logits: the answer is then the biased tokens only, and the
// penalties decide between them (Z 100 and Y 95, penalty 10: Z, then Y, then ...).

const Z = 3 + 0x5a;
const Y = 3 + 0x59;

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
    input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "hello"}, {text: "world"}]);
});

async function answers(name: string, params: Record<string, unknown> | undefined): Promise<string[]> {
    const output = path.join(dir, name);
    const result = await annotate({input, model, output, maxTokens: 4, parallel: 2, ...(params !== undefined ? {params} : {})});
    expect(result).toMatchObject({okRows: 2, failedRows: 0});
    const {rows} = await readOutput(output);
    return rows.sort((a, b) => (a.idx as number) - (b.idx as number)).map((row) => row.annotation as string);
}

describe.each(["native", "lockstep"])("--param on the local backend (%s driver)", (driver) => {
    const saved = process.env.AIRLABEL_DRIVER;
    beforeAll(() => {
        if (driver === "lockstep") process.env.AIRLABEL_DRIVER = "lockstep";
        else delete process.env.AIRLABEL_DRIVER;
        return () => {
            if (saved === undefined) delete process.env.AIRLABEL_DRIVER;
            else process.env.AIRLABEL_DRIVER = saved;
        };
    });

    test("logit_bias: a strong positive bias makes its token the answer; false bans it", async () => {
        const plain = await answers(`${driver}-plain`, undefined);
        expect(plain).not.toEqual(["ZZZZ", "ZZZZ"]);
        expect(await answers(`${driver}-z`, {logit_bias: {[Z]: 100}})).toEqual(["ZZZZ", "ZZZZ"]);
        expect(await answers(`${driver}-y`, {logit_bias: {[Z]: false, [Y]: 95}})).toEqual(["YYYY", "YYYY"]);
    });

    test("logit_bias steers a grammar-constrained answer (the grammar still decides what may come)", async () => {
        // byte tokens "n" (3 + 0x6e) and "p" (3 + 0x70): each the first letter of one choice
        for (const [token, label] of [
            [3 + 0x6e, "negative"],
            [3 + 0x70, "positive"]
        ] as const) {
            const output = path.join(dir, `${driver}-choices-${label}`);
            const result = await annotate({input, model, output, choices: ["positive", "negative"], params: {logit_bias: {[token]: 50}}});
            expect(result).toMatchObject({okRows: 2, failedRows: 0});
            expect((await readOutput(output)).rows.map((row) => row.annotation)).toEqual([label, label]);
        }
    });

    test("presence_penalty, frequency_penalty and repeat_last_n are llama.cpp's", async () => {
        const bias = {logit_bias: {[Z]: 100, [Y]: 95}};
        // presence: Z (100 > 95), Y (95 > 90), then both present: Z (90 > 85) twice
        expect(await answers(`${driver}-presence`, {...bias, presence_penalty: 10})).toEqual(["ZYZZ", "ZYZZ"]);
        // frequency: Z, Y, Z (90 > 85), then Z twice: Y (85 > 80)
        expect(await answers(`${driver}-frequency`, {...bias, frequency_penalty: 10})).toEqual(["ZYZY", "ZYZY"]);
        // presence over the last token only: Z, Y, Z, Y
        expect(await answers(`${driver}-last-n`, {...bias, presence_penalty: 10, repeat_last_n: 1})).toEqual(["ZYZY", "ZYZY"]);
    });
});

test("another parameter is refused before the model loads, naming the ones the local backend takes", async () => {
    const result = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "refused"), "--param", "min_tokens=2"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
        "airlabel: options.params.min_tokens is not supported by the local backend (llama.cpp); it supports frequency_penalty, logit_bias, presence_penalty, repeat_last_n (the openai backend sends any parameter)"
    );
});

test("a logit_bias token beyond the model's vocabulary is refused before the model loads", async () => {
    // the generated model's vocabulary: 906 tokens
    await expect(annotate({input, model, output: path.join(dir, "outside"), params: {logit_bias: {"906": 5}}})).rejects.toThrow(
        `options.params.logit_bias: token 906 is not in the vocabulary of ${model} (906 tokens, ids 0 to 905); check the token ids for this model`
    );
});

test("a changed --param is refused on resume; a job file's generation: map works", async () => {
    const output = path.join(dir, "resume");
    const args = ["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4"];
    const first = await runCli([...args, "--param", `logit_bias={"${Z}": 100}`]);
    expect(first.code, first.stderr).toBe(0);
    const changed = await runCli([...args, "--param", `logit_bias={"${Z}": 50}`]);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(/holds a run with a different options \(was .*100.*now .*50.*\); re-run with --overwrite/u);
    // the same parameter from a job file is the same run
    const job = path.join(dir, "job.yaml");
    fs.writeFileSync(job, `generation:\n  logit_bias:\n    "${Z}": 100\n`);
    const fromJob = await runCli([...args, "--config", job, "--json"]);
    expect(fromJob.code, fromJob.stderr).toBe(0);
    expect(JSON.parse(fromJob.stdout)).toMatchObject({resumedRows: 2});
    const {rows} = await readOutput(output);
    expect(rows.map((row) => row.annotation)).toEqual(["ZZZZ", "ZZZZ"]);
});

test("in a multi-step job, a step's generation: map replaces the job's; --param (the overrides) wins key by key", async () => {
    const output = path.join(dir, "job");
    const result = await runJob({
        job: {
            input,
            output,
            model,
            maxTokens: 4,
            generation: {logit_bias: {[Z]: 100}},
            steps: [
                {name: "first", prompt: "{text}"},
                {name: "second", prompt: "{text} {steps.first.annotation}", generation: {logit_bias: {[Y]: 100}}}
            ]
        },
        overrides: {param: ["repeat_last_n=0"]}
    });
    expect(result.complete).toBe(true);
    const first = await readOutput(path.join(output, "steps", "first"));
    const second = await readOutput(path.join(output, "steps", "second"));
    expect(first.rows.map((row) => row.annotation)).toEqual(["ZZZZ", "ZZZZ"]);
    expect(second.rows.map((row) => row.annotation)).toEqual(["YYYY", "YYYY"]);
    expect(JSON.parse(JSON.parse(fs.readFileSync(path.join(output, "steps", "second", "manifest.json"), "utf8")).identity.options).params).toEqual({
        logit_bias: {[Y]: 100},
        repeat_last_n: 0
    });
});
