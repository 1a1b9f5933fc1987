import fs from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, test} from "vitest";
import {buildRequest} from "../../src/engine/openai/buildRequest.js";
import {generationDefaults} from "../../src/options/AnnotateOptions.js";
import {readJsonlDir, runCli, tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer, type FakeRequest} from "./support/FakeOpenAIServer.js";

// --param key=value and a job file's generation: map, on the openai backend: the fields reach every generation
// request's body as given (JSON values), after airlabel's own; fields airlabel sets itself are refused; they are part
// of the run identity.

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(): Promise<FakeOpenAIServer> {
    const server = await FakeOpenAIServer.start();
    servers.push(server);
    return server;
}

const rowsOf = (server: FakeOpenAIServer): FakeRequest[] => server.requests.filter((request) => !request.isProbe);

function runArgs(server: FakeOpenAIServer, dir: string, ...extra: string[]): string[] {
    const input = path.join(dir, "in.jsonl");
    if (!fs.existsSync(input)) writeJsonl(input, [{text: "row 0"}, {text: "row 1"}, {text: "row 2"}]);
    return [
        "run",
        "-i",
        input,
        "-o",
        path.join(dir, "out"),
        "--backend",
        "openai",
        "--base-url",
        server.url,
        "-m",
        "fake-model",
        "--max-tokens",
        "8",
        ...extra
    ];
}

const params = [
    "--param",
    "presence_penalty=0.5",
    "--param",
    'logit_bias={"15043": -100}',
    "--param",
    'chat_template_kwargs={"enable_thinking": false}',
    "--param",
    "vendor_mode=fast"
];

describe("--param on the openai backend", () => {
    test("buildRequest puts the params after airlabel's own fields, on both endpoints", () => {
        const spec = {model: "m", system: undefined, schema: null, generation: generationDefaults, stream: false, params: {min_tokens: 3, top_a: 0.1}};
        const sampling = {temperature: 0, topP: 1, topK: 0, minP: 0, seed: 0};
        for (const endpoint of ["chat", "completions"] as const) {
            const {body} = buildRequest({...spec, endpoint}, "hi", sampling);
            expect(Object.keys(body).slice(-2)).toEqual(["min_tokens", "top_a"]);
            expect(body).toMatchObject({model: "m", max_tokens: 256, min_tokens: 3, top_a: 0.1});
        }
    });

    test("every generation request carries them as JSON values (the startup probe does not); a changed one is refused on resume", async () => {
        const server = await startServer();
        const dir = tempDir();
        const first = await runCli(runArgs(server, dir, ...params));
        expect(first.code, first.stderr).toBe(0);
        expect(rowsOf(server)).toHaveLength(3);
        for (const request of rowsOf(server))
            expect(request.body).toMatchObject({
                model: "fake-model",
                max_tokens: 8,
                presence_penalty: 0.5,
                logit_bias: {"15043": -100},
                chat_template_kwargs: {enable_thinking: false},
                vendor_mode: "fast"
            });
        const probe = server.requests.find((request) => request.isProbe)!;
        expect(probe.body).not.toHaveProperty("presence_penalty");
        expect(readJsonlDir(path.join(dir, "out", "data"))).toHaveLength(3);

        // the same params in another order: the same run (nothing left to do)
        const reordered = await runCli(runArgs(server, dir, ...params.slice(4), ...params.slice(0, 4)));
        expect(reordered.code, reordered.stderr).toBe(0);
        expect(rowsOf(server)).toHaveLength(3);

        const changed = await runCli(runArgs(server, dir, ...params.slice(0, 6), "--param", "vendor_mode=slow"));
        expect(changed.code).not.toBe(0);
        expect(changed.stderr).toMatch(/holds a run with a different options \(was .*fast.*now .*slow.*\); re-run with --overwrite/u);
        const dropped = await runCli(runArgs(server, dir));
        expect(dropped.code).not.toBe(0);
        expect(dropped.stderr).toMatch(/holds a run with a different options/u);
        // --retry-failed may change them (it retries the failed rows, of which there are none)
        const retry = await runCli(runArgs(server, dir, ...params.slice(0, 6), "--param", "vendor_mode=slow", "--retry-failed"));
        expect(retry.code, retry.stderr).toBe(0);
    });

    test("the completions endpoint sends them too; a field airlabel sets is refused before any request", async () => {
        const server = await startServer();
        const dir = tempDir();
        const result = await runCli(runArgs(server, dir, "--endpoint", "completions", "--param", "min_tokens=2", "--param", "stop_token_ids=[7, 9]"));
        expect(result.code, result.stderr).toBe(0);
        for (const request of rowsOf(server)) {
            expect(request.path).toBe("/completions");
            expect(request.body).toMatchObject({prompt: expect.any(String), min_tokens: 2, stop_token_ids: [7, 9]});
        }
        const requests = server.requests.length;
        const refused = await runCli(runArgs(server, tempDir(), "--param", "temperature=0.7"));
        expect(refused.code).toBe(2);
        expect(refused.stderr.trim()).toBe("airlabel: options.params.temperature is a field airlabel sets itself; use --temperature instead");
        const malformed = await runCli(runArgs(server, tempDir(), "--param", "presence_penalty"));
        expect(malformed.code).toBe(2);
        expect(malformed.stderr.trim()).toBe('airlabel: --param "presence_penalty" is not key=value; write e.g. --param presence_penalty=0.5');
        expect(server.requests.length).toBe(requests);
    });

    test("a job file's generation: map is sent; --param overrides it key by key", async () => {
        const server = await startServer();
        const dir = tempDir();
        const job = path.join(dir, "job.yaml");
        fs.writeFileSync(job, "generation:\n  min_tokens: 2\n  chat_template_kwargs:\n    enable_thinking: false\n");
        const result = await runCli(runArgs(server, dir, "--config", job, "--param", "min_tokens=4"));
        expect(result.code, result.stderr).toBe(0);
        for (const request of rowsOf(server)) expect(request.body).toMatchObject({min_tokens: 4, chat_template_kwargs: {enable_thinking: false}});
    });
});
