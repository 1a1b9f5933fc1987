import fs from "node:fs";
import path from "node:path";
import {afterEach, beforeAll, describe, expect, test} from "vitest";
import {annotate} from "../../src/pipeline/annotate.js";
import {runCli, tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer, type FakeServerOptions} from "./support/FakeOpenAIServer.js";

const key = "sk-airlabel-secret-4242-do-not-leak";
const rows = Array.from({length: 12}, (_, i) => ({id: i, text: `row ${i}`}));
let dir: string;
let input: string;
let schemaFile: string;
const servers: FakeOpenAIServer[] = [];
beforeAll(() => {
    dir = tempDir();
    input = writeJsonl(path.join(dir, "in.jsonl"), rows);
    schemaFile = path.join(dir, "schema.json");
    fs.writeFileSync(schemaFile, JSON.stringify({type: "object", properties: {label: {enum: ["a", "b"]}}, required: ["label"]}));
});
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(options: FakeServerOptions): Promise<FakeOpenAIServer> {
    const server = await FakeOpenAIServer.start(options);
    servers.push(server);
    return server;
}

function filesUnder(root: string): string[] {
    return fs
        .readdirSync(root, {withFileTypes: true, recursive: true})
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name));
}

describe("API key handling", () => {
    test("the key is sent to the server and appears in no file or stream the run writes, even when the server echoes it", async () => {
        // a careless server that echoes the Authorization header in its error messages
        const server = await startServer({
            apiKey: key,
            script: (r) => {
                if (r.isProbe) return undefined;
                if (r.prompt === "row 1")
                    return {status: 400, error: {message: `bad request from ${String(r.headers.authorization)}`, type: "BadRequestError", param: "messages"}};
                if (r.prompt === "row 2" && r.attemptForPrompt === 1)
                    return {status: 500, error: {message: `internal error for ${String(r.headers.authorization)}`, type: "InternalServerError"}};
                if (r.prompt === "row 3") return {answer: `not json ${String(r.headers.authorization)}`};
                return undefined;
            }
        });
        const output = path.join(dir, "out-key");
        process.env.AIRLABEL_TEST_KEY = key;
        const result = await runCli([
            "run",
            "-i",
            input,
            "-o",
            output,
            "--backend",
            "openai",
            "--base-url",
            server.url,
            "-m",
            "fake-model",
            "--api-key-env",
            "AIRLABEL_TEST_KEY",
            "-p",
            "{text}",
            "-s",
            schemaFile,
            "--max-tokens",
            "16",
            "--shard-size",
            "5",
            "--retry-base-delay-ms",
            "1",
            "--retries-invalid",
            "1",
            "--concurrency",
            "32",
            "--json"
        ]);
        expect(result.code, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as Record<string, unknown>;
        expect(summary).toMatchObject({totalRows: 12, okRows: 10, failedRows: 2, complete: true, backend: "openai"});
        expect(server.requests.length).toBeGreaterThan(12);
        for (const request of server.requests) expect(request.headers.authorization).toBe(`Bearer ${key}`);

        const errorsText = filesUnder(path.join(output, "errors"))
            .map((f) => fs.readFileSync(f, "utf8"))
            .join("");
        expect(errorsText).toContain("bad request from Bearer [redacted]");
        expect(errorsText).toContain("not json Bearer [redacted]");
        const written = filesUnder(output);
        expect(written.some((f) => f.endsWith("manifest.json"))).toBe(true);
        for (const file of written) expect(fs.readFileSync(file).includes(key), file).toBe(false);
        expect(result.stdout).not.toContain(key);
        expect(result.stderr).not.toContain(key);
        expect(result.stderr).not.toMatch(/Warning/u);
        // the half of the key a careless substring could leak is not there either
        expect(result.stdout + result.stderr).not.toContain(key.slice(0, 16));
        expect(JSON.parse(fs.readFileSync(path.join(output, "manifest.json"), "utf8"))).toMatchObject({
            meta: {backend: "openai", baseUrl: server.url, model: "fake-model"}
        });
    });

    test("a key read from a file; a refused key stops the run without showing it", async () => {
        const server = await startServer({apiKey: "another-key"});
        const keyFile = path.join(dir, "key.txt");
        fs.writeFileSync(keyFile, `${key}\n`);
        const output = path.join(dir, "out-refused");
        const result = await runCli([
            "run",
            "-i",
            input,
            "-o",
            output,
            "--backend",
            "vllm",
            "--base-url",
            server.url,
            "-m",
            "fake-model",
            "--api-key-file",
            keyFile,
            "-p",
            "{text}",
            "--max-tokens",
            "8"
        ]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
            /^airlabel: http:\/\/127\.0\.0\.1:\d+\/v1: the server refused the credentials \(HTTP 401, Unauthorized: Unauthorized\); check --api-key-env \/ --api-key-file$/mu
        );
        expect(result.stderr + result.stdout).not.toContain(key);
        for (const file of filesUnder(output)) expect(fs.readFileSync(file).includes(key), file).toBe(false);
        expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${key}`);
    });

    test("a redirect to another host is refused: the key never reaches it", async () => {
        const elsewhere = await startServer({});
        const server = await startServer({script: () => ({redirect: `${elsewhere.url}/chat/completions`})});
        process.env.AIRLABEL_TEST_KEY = key;
        const run = annotate({
            input,
            output: path.join(dir, "out-redirect"),
            model: "fake-model",
            backend: "openai",
            baseUrl: server.url,
            apiKeyEnv: "AIRLABEL_TEST_KEY",
            template: "{text}",
            maxTokens: 8
        });
        await expect(run).rejects.toThrow(
            `${server.url}: the server redirects (HTTP 307) to http://127.0.0.1:${elsewhere.port}; airlabel does not follow redirects (the API key goes to --base-url only): set --base-url to the final address`
        );
        expect(server.requests.length).toBe(1);
        expect(elsewhere.requests).toEqual([]);
    });
});
