import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import type {AnnotateOptions} from "../../src/options/AnnotateOptions.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {runCli, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";
import type {Token} from "node-llama-cpp";
import {NativeStepDriver} from "../../src/engine/local/NativeStepDriver.js";
import {loadLlama} from "../../src/llama/loadLlama.js";
import {LlamaServer} from "./support/LlamaServer.js";
import {llamaServerBinary} from "./support/llamaServerBinary.js";

// The openai backend against a real llama.cpp llama-server (built by `npm run build:llama-server` from the llama.cpp
// source node-llama-cpp ships) on 127.0.0.1, serving stories260K: --param / generation: fields reach the server and
// change its answers as they say. Greedy decoding (temperature 0), so every run is the same.
// stories260K has no chat template: free text goes to /v1/completions; llama-server reads response_format only on
// /v1/chat/completions (its chatml fallback template applies there); on /v1/completions airlabel also sends its json_schema.
// llama-server's penalties count the prompt's tokens too, so no row's text holds " time" or " upon".

let server: LlamaServer;
let dir: string;
let input: string;
/** Token ids of " time" and " upon" (one token each in stories260K's vocabulary). */
let time: number;
let upon: number;

test("llama-server is built", () => {
    const binary = llamaServerBinary();
    expect(fs.existsSync(binary), `${binary} is missing: run npm run build:llama-server (builds llama.cpp's llama-server, offline)`).toBe(true);
});

describe.runIf(fs.existsSync(storiesModel))("openai backend against a real llama-server (stories260K)", () => {
    beforeAll(async () => {
        server = await LlamaServer.start({model: storiesModel});
        dir = tempDir();
        input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "Lily and Tom"}, {text: "One day, a little"}]);
        time = await server.tokenId(" time", "time upon");
        upon = await server.tokenId(" upon", "time upon");
    });
    afterAll(async () => {
        await server?.close();
    });

    function options(name: string, extra: Partial<AnnotateOptions>): AnnotateOptions {
        return {
            input,
            output: path.join(dir, name),
            template: "{text}",
            backend: "openai",
            baseUrl: server.baseUrl,
            model: "stories260K",
            endpoint: "completions",
            maxTokens: 8,
            concurrency: 2,
            ...extra
        };
    }

    /** The answers of a run, by row, after checking every row was answered. */
    async function answers(name: string, extra: Partial<AnnotateOptions> = {}): Promise<unknown[]> {
        const output = path.join(dir, name);
        const result = await annotate(options(name, extra));
        expect(result).toMatchObject({okRows: 2, failedRows: 0, complete: true});
        return (await readOutput(output)).rows.map((row) => row.annotation);
    }

    test("free text: logit_bias +100 on one token makes the answer that token; false bans the plain answer's first token", async () => {
        const plain = await answers("plain");
        expect(plain).toHaveLength(2);
        for (const answer of plain) expect(answer).toMatch(/\w/u);
        expect(await answers("bias", {params: {logit_bias: {[time]: 100}}})).toEqual([" time".repeat(8), " time".repeat(8)]);
        // the first token of row 0's plain answer, as the server generated it (its logprobs name the token ids)
        const reply = (await server.post("/completions", {prompt: "Lily and Tom", max_tokens: 1, temperature: 0, logprobs: 1})) as {
            choices: [{logprobs: {content: [{id: number; token: string}]}}];
        };
        const first = reply.choices[0].logprobs.content[0];
        expect((plain[0] as string).startsWith(first.token), `${JSON.stringify(plain[0])} starts with ${JSON.stringify(first.token)}`).toBe(true);
        const banned = await answers("ban", {params: {logit_bias: {[first.id]: false}}});
        expect(banned[0]).not.toBe(plain[0]);
        expect((banned[0] as string).startsWith(first.token)).toBe(false);
    });

    test("presence_penalty, frequency_penalty and repeat_last_n are llama-server's penalties", async () => {
        // biases far above the trained model's own logit differences, so they and the penalties alone decide
        const bias = {logit_bias: {[time]: 1000, [upon]: 950}};
        const twice = (answer: string) => [answer, answer];
        // presence: time (1000 > 950), upon (950 > 900), then both present: time (900 > 850) from then on
        expect(await answers("presence", {maxTokens: 4, params: {...bias, presence_penalty: 100}})).toEqual(twice(" time upon time time"));
        // frequency: time, upon, time (900 > 850), then time twice: upon (850 > 800)
        expect(await answers("frequency", {maxTokens: 4, params: {...bias, frequency_penalty: 100}})).toEqual(twice(" time upon time upon"));
        // presence over the last token only
        expect(await answers("last-n", {maxTokens: 4, params: {...bias, presence_penalty: 100, repeat_last_n: 1}})).toEqual(twice(" time upon time upon"));
    });

    test("llama-server's n_probs, vLLM's min_tokens and a vendor field it does not know are accepted (same answers as without)", async () => {
        const plain = await answers("plain-again");
        expect(await answers("extras", {params: {n_probs: 3, min_tokens: 2, vendor_mode: "fast"}})).toEqual(plain);
    });

    test("a schema run (--choices, chat endpoint) answers valid labels, and logit_bias steers which", async () => {
        // the answer is a JSON string: after its opening quote, "p" or "n" decides the label
        for (const [token, label] of [
            [await server.tokenId("n", '"n'), "negative"],
            [await server.tokenId("p", '"p'), "positive"]
        ] as const) {
            const labels = await answers(`choices-${label}`, {
                endpoint: "chat",
                maxTokens: 64,
                choices: ["positive", "negative"],
                params: {logit_bias: {[token]: 30}}
            });
            expect(labels).toEqual([label, label]);
        }
    });

    test("--repeat-penalty reaches llama-server (sent as its repeat_penalty too)", async () => {
        const bias = {logit_bias: {[time]: 1000, [upon]: 950}};
        expect(await answers("no-repeat", {maxTokens: 4, params: bias})).toEqual([" time time time time", " time time time time"]);
        // llama.cpp's penalty divides a repeated token's positive logit: time 1000 / 2 < upon 950, then upon 475 < time 500
        expect(await answers("repeat", {maxTokens: 4, repeatPenalty: 2, params: bias})).toEqual([" time upon time time", " time upon time time"]);
    });

    test("a schema on the completions endpoint constrains the answers (the probe finds llama-server needs its json_schema)", async () => {
        // (stories260K's free text never is one of these labels: every row answered means the grammar held)
        for (const label of await answers("choices-completions", {maxTokens: 64, choices: ["positive", "negative"]}))
            expect(["positive", "negative"]).toContain(label);
    });

    test("--confidence over the openai backend: the geometric mean of the logprobs llama-server returns", async () => {
        const output = path.join(dir, "confidence-remote");
        expect(await annotate(options("confidence-remote", {confidence: true}))).toMatchObject({okRows: 2});
        for (const row of (await readOutput(output)).rows) {
            const text = String((JSON.parse(fs.readFileSync(input, "utf8").split("\n")[Number(row.idx)]!) as {text: string}).text);
            const reply = (await server.post("/completions", {prompt: text, max_tokens: 8, temperature: 0, seed: Number(row.idx), logprobs: 1})) as {
                choices: [{text: string; logprobs: {content: {logprob: number}[]}}];
            };
            expect(row.annotation).toBe(reply.choices[0].text);
            const logprobs = reply.choices[0].logprobs.content.map((entry) => entry.logprob);
            const expected = Math.exp(logprobs.reduce((sum, value) => sum + value, 0) / logprobs.length);
            expect(Math.abs((row.confidence as number) / expected - 1)).toBeLessThan(1e-5);
        }
    });

    test("the native decode loop's token log-probabilities are llama-server's for the same prompt tokens", async () => {
        const llama = await loadLlama("cpu");
        const model = await llama.loadModel({modelPath: storiesModel});
        const context = await model.createContext({contextSize: 256, sequences: 1});
        const driver = new NativeStepDriver({context});
        try {
            const prompt = [model.tokens.bos!, ...(await server.tokenize("Lily and Tom")).map((token) => token.id)] as Token[];
            const local = await driver.generate({
                tokens: prompt,
                maxTokens: 8,
                temperature: 0,
                topP: 1,
                topK: 0,
                minP: 0,
                seed: 0,
                repeatPenalty: 1,
                stopStrings: [],
                ignoreEos: false,
                logprobs: true
            });
            const reply = (await server.post("/completions", {prompt, max_tokens: 8, temperature: 0, logprobs: 1})) as {
                choices: [{logprobs: {content: {token: string; logprob: number}[]}}];
            };
            const remote = reply.choices[0].logprobs.content;
            expect(local.tokenLogprobs!.map((token) => token.text).join("")).toBe(
                remote
                    .map((token) => token.token)
                    .join("")
                    .trimStart()
            );
            for (const [i, token] of local.tokenLogprobs!.entries()) expect(token.logprob).toBeCloseTo(remote[i]!.logprob, 3);
        } finally {
            driver.dispose();
            await context.dispose();
            await model.dispose();
        }
    });

    test("CLI: --param is part of the run: the same command resumes, a changed value is refused", async () => {
        const output = path.join(dir, "cli");
        const args = ["run", "-i", input, "-o", output, "-p", "{text}", "--backend", "openai", "--base-url", server.baseUrl, "-m", "stories260K"];
        args.push("--endpoint", "completions", "--max-tokens", "4");
        const first = await runCli([...args, "--param", `logit_bias={"${time}": 100}`]);
        expect(first.code, first.stderr).toBe(0);
        const rows = (await readOutput(output)).rows;
        expect(rows.map((row) => row.annotation)).toEqual([" time time time time", " time time time time"]);
        const again = await runCli([...args, "--param", `logit_bias={"${time}": 100}`]);
        expect(again.code, again.stderr).toBe(0);
        const changed = await runCli([...args, "--param", `logit_bias={"${upon}": 100}`]);
        expect(changed.code).not.toBe(0);
        expect(changed.stderr).toMatch(/holds a run with a different options .*; re-run with --overwrite/u);
        expect((await readOutput(output)).rows).toEqual(rows);
    });
});
