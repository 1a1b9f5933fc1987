import path from "node:path";
import {afterEach, beforeAll, describe, expect, test} from "vitest";
import {RemoteServerError} from "../../src/engine/openai/openaiErrors.js";
import type {AnnotateOptions} from "../../src/options/AnnotateOptions.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer, type FakeAction, type FakeRequest, type FakeServerOptions} from "./support/FakeOpenAIServer.js";

const rowCount = 24;
const rows = Array.from({length: rowCount}, (_, i) => ({id: `r${i}`, text: `review ${i}: ${"so good ".repeat(i % 5)}`}));
const schema = {
    type: "object",
    properties: {label: {enum: ["positive", "negative"]}, score: {type: "integer", minimum: 1, maximum: 5}},
    required: ["label", "score"],
    additionalProperties: false
};

let dir: string;
let input: string;
let outputs = 0;
const servers: FakeOpenAIServer[] = [];
beforeAll(() => {
    dir = tempDir();
    input = writeJsonl(path.join(dir, "reviews.jsonl"), rows);
});
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(options: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
    const server = await FakeOpenAIServer.start(options);
    servers.push(server);
    return server;
}

const maxRequestAttempts = 4;
const retriesInvalid = 2;
/** HTTP requests one row may cause at most: answer attempts x transport attempts each. */
const requestBound = (1 + retriesInvalid) * maxRequestAttempts;

function optionsFor(server: FakeOpenAIServer, extra: Partial<AnnotateOptions> = {}): AnnotateOptions {
    return {
        input,
        output: path.join(dir, `out-${++outputs}`),
        model: "fake-model",
        backend: "openai",
        baseUrl: server.url,
        template: "Review: {text}",
        schema,
        maxTokens: 32,
        concurrency: 4,
        shardSize: 5,
        retriesInvalid,
        maxRequestAttempts,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 20,
        requestTimeoutMs: 5000,
        ...extra
    };
}

const promptOf = (i: number) => `Review: ${rows[i]!.text}`;
const rowOf = (request: FakeRequest) => rows.findIndex((_, i) => promptOf(i) === request.prompt);

/** Every input row is in the output or the errors, exactly once, and no row got more requests than the bound. */
async function expectEveryRowOnce(output: string, server: FakeOpenAIServer, bound = requestBound): Promise<Awaited<ReturnType<typeof readOutput>>> {
    const out = await readOutput(output);
    const idx = [...out.rows, ...out.errors].map((r) => r.idx as number).sort((a, b) => a - b);
    expect(idx).toEqual([...Array(rowCount).keys()]);
    for (const [prompt, count] of server.attemptsByPrompt()) expect(count, prompt).toBeLessThanOrEqual(bound);
    return out;
}

describe("openai backend against a fake vLLM server", () => {
    test("answers every row: schema sent as response_format (strict) and structured_outputs, never guided_json; usage per row and summed", async () => {
        const server = await startServer();
        const options = optionsFor(server);
        const result = await annotate(options);
        expect(result).toMatchObject({totalRows: rowCount, okRows: rowCount, failedRows: 0, complete: true, backend: "openai", requestRetries: 0});
        const out = await expectEveryRowOnce(options.output, server);
        expect(server.maxActive).toBeLessThanOrEqual(4);
        for (const request of server.requests) {
            expect(request.path).toBe("/chat/completions");
            expect(request.body).not.toHaveProperty("guided_json");
            expect(request.body.response_format).toMatchObject({type: "json_schema", json_schema: {strict: true}});
            expect((request.body.structured_outputs as {json: unknown}).json).toEqual(
                (request.body.response_format as {json_schema: {schema: unknown}}).json_schema.schema
            );
            if (!request.isProbe) expect(request.body.structured_outputs).toEqual({json: schema});
        }
        for (const row of out.rows) {
            expect(row.annotation).toEqual({label: "positive", score: 1});
            expect(row).toMatchObject({model: "fake-model", finish_reason: "stop", attempts: 1});
        }
        expect(result.promptTokens).toBe(out.rows.reduce((sum, r) => sum + (r.prompt_tokens as number), 0));
        expect(result.generatedTokens).toBe(out.rows.reduce((sum, r) => sum + (r.completion_tokens as number), 0));
        // the server's usage is what is recorded (its count differs from airlabel's estimate by its +8)
        expect(out.rows[0]!.prompt_tokens).toBe(Math.ceil(Buffer.byteLength(promptOf(out.rows[0]!.idx as number)) / 4) + 8);
    });

    test("429 with Retry-After: the server's delay is honoured instead of the (here huge) backoff", async () => {
        const server = await startServer({
            script: (r) =>
                !r.isProbe && r.attemptForPrompt === 1
                    ? {status: 429, headers: {"retry-after": "0"}, error: {message: "Too many requests", type: "RateLimitError"}}
                    : undefined
        });
        const options = optionsFor(server, {retryBaseDelayMs: 120_000, retryMaxDelayMs: 120_000});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true, requestRetries: rowCount});
        await expectEveryRowOnce(options.output, server);
        for (const count of server.attemptsByPrompt().values()) expect(count).toBe(2);
    }, 20_000);

    test("429 without Retry-After: exponential backoff, then answered", async () => {
        const server = await startServer({
            script: (r) => (!r.isProbe && r.attemptForPrompt <= 2 ? {status: 429, error: {message: "Too many requests", type: "RateLimitError"}} : undefined)
        });
        const options = optionsFor(server);
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true, requestRetries: 2 * rowCount});
        await expectEveryRowOnce(options.output, server);
    });

    test("500/502/503/504 bursts are retried", async () => {
        const statuses = [500, 502, 503, 504];
        const server = await startServer({
            script: (r) => (r.n >= 2 && r.n <= 20 ? {status: statuses[r.n % 4]!, error: {message: "boom", type: "InternalServerError"}} : undefined)
        });
        const options = optionsFor(server, {maxRequestAttempts: 20});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true});
        expect(result.requestRetries).toBe(19);
        await expectEveryRowOnce(options.output, server, 3 * 20);
    });

    test("connection resets are retried", async () => {
        const server = await startServer({script: (r) => (!r.isProbe && r.attemptForPrompt === 1 ? {reset: true} : undefined)});
        const options = optionsFor(server);
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true, requestRetries: rowCount});
        await expectEveryRowOnce(options.output, server);
    });

    test("a request that hangs times out (requestTimeoutMs) and is retried", async () => {
        const server = await startServer({script: (r) => (!r.isProbe && r.attemptForPrompt === 1 && rowOf(r) % 3 === 0 ? {hang: true} : undefined)});
        const options = optionsFor(server, {requestTimeoutMs: 1000});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true});
        expect(result.requestRetries).toBeGreaterThanOrEqual(rowCount / 3);
        await expectEveryRowOnce(options.output, server);
    });

    test("503 when the server's queue is full is retried until every row is answered", async () => {
        const server = await startServer({maxConcurrent: 2});
        const options = optionsFor(server, {concurrency: 8, maxRequestAttempts: 50});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true});
        expect(result.requestRetries).toBeGreaterThan(0);
        const out = await readOutput(options.output!);
        expect(out.rows.length).toBe(rowCount);
    });

    test("a server that silently ignores the schema: the probe warns; invalid answers are retried, then recorded as failed", async () => {
        const server = await startServer({ignoreSchema: true});
        const logs: string[] = [];
        const options = optionsFor(server, {onLog: (line) => logs.push(line)});
        const result = await annotate(options);
        expect(logs.join("\n")).toMatch(/did not constrain the startup probe to its JSON schema/u);
        expect(result).toMatchObject({okRows: 0, failedRows: rowCount, complete: true});
        const out = await expectEveryRowOnce(options.output, server);
        for (const error of out.errors)
            expect(error).toMatchObject({stage: "validate", attempts: 3, reason: expect.stringMatching(/not valid JSON.*\(after 3 attempts\)$/u)});
        for (const count of server.attemptsByPrompt().values()) expect(count).toBe(3);
        // retries change the sampling (a greedy retry would repeat itself)
        const temperatures = server.requests.filter((r) => r.prompt === promptOf(0)).map((r) => r.body.temperature as number);
        expect(temperatures[0]).toBe(0);
        expect(temperatures[1]).toBeGreaterThan(0);
    });

    test("truncated JSON (finish_reason length) is retried; a row truncated every time is recorded as failed", async () => {
        const server = await startServer({
            script: (r) => (!r.isProbe && (r.attemptForPrompt === 1 || rowOf(r) % 4 === 0) ? {answer: '{"label": "posi', finishReason: "length"} : undefined)
        });
        const options = optionsFor(server);
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount - 6, failedRows: 6, complete: true});
        const out = await expectEveryRowOnce(options.output, server);
        for (const error of out.errors) {
            expect((error.idx as number) % 4).toBe(0);
            expect(error).toMatchObject({finish_reason: "length", attempts: 3, response: '{"label": "posi'});
            expect(error.reason).toMatch(/truncated at maxTokens \(32\).*\(after 3 attempts\)$/u);
        }
        for (const row of out.rows) expect(row.attempts).toBe(2);
    });

    test("400 context overflow is not retried: the server's message goes to the errors file", async () => {
        const server = await startServer({maxModelLen: 50});
        const options = optionsFor(server);
        const result = await annotate(options);
        const tooLong = rows
            .map((_row, i) => ({i, tokens: Math.ceil(Buffer.byteLength(promptOf(i)) / 4) + 8}))
            .filter((r) => r.tokens + 32 > 50)
            .map((r) => r.i);
        expect(tooLong.length).toBeGreaterThan(0);
        expect(result).toMatchObject({failedRows: tooLong.length, okRows: rowCount - tooLong.length, complete: true, requestRetries: 0});
        const out = await expectEveryRowOnce(options.output, server);
        expect(out.errors.map((e) => e.idx)).toEqual(tooLong);
        for (const error of out.errors) {
            expect(error).toMatchObject({stage: "generate", attempts: 1, finish_reason: null, response: null});
            expect(error.reason).toMatch(
                /^server refused the request: HTTP 400, BadRequestError, param max_tokens: 'max_tokens' or 'max_completion_tokens' is too large: 32\. This model's maximum context length is 50 tokens/u
            );
        }
        for (const i of tooLong) expect(server.attemptsByPrompt().get(promptOf(i))).toBe(1);
    });

    test("503 past the retry bound stops the run with a clear message; finished rows are committed", async () => {
        const server = await startServer({
            script: (r) => (!r.isProbe && rowOf(r) === 0 ? {status: 503, error: {message: "overloaded", type: "ServiceUnavailableError"}} : undefined)
        });
        const options = optionsFor(server, {shardSize: 1});
        const run = annotate(options);
        await expect(run).rejects.toThrow(RemoteServerError);
        await expect(run).rejects.toThrow(
            /: 4 attempts at row idx 0 failed \(last: HTTP 503, ServiceUnavailableError: overloaded\); rows committed so far are kept: .*re-run the same command to resume$/u
        );
        expect(server.attemptsByPrompt().get(promptOf(0))).toBe(maxRequestAttempts);
        const out = await readOutput(options.output);
        expect(out.manifest.complete).toBe(false);
        expect(out.rows.map((r) => r.idx)).not.toContain(0);
    });

    test("a server that dies mid-run: committed rows stay committed, the same options resume on the restarted server", async () => {
        let first: FakeOpenAIServer | undefined;
        const dying = (r: FakeRequest): FakeAction | undefined => {
            if (r.n === 12) void first!.close();
            return r.n >= 12 ? {reset: true} : undefined;
        };
        first = await startServer({script: dying});
        const options = optionsFor(first, {shardSize: 3, concurrency: 2});
        await expect(annotate(options)).rejects.toThrow(/attempts at row idx \d+ failed .*re-run the same command to resume/u);
        const before = await readOutput(options.output);
        expect(before.rows.length).toBeGreaterThan(0);
        expect(before.rows.length).toBeLessThan(rowCount);

        const second = await startServer({port: first.port});
        const result = await annotate(options);
        expect(result).toMatchObject({resumedRows: before.rows.length, complete: true});
        await expectEveryRowOnce(options.output, second);
        for (const row of before.rows) expect(second.attemptsByPrompt().has(promptOf(row.idx as number))).toBe(false);
    });

    test("stopping (signal) finishes the requests in flight, commits them, and the same options resume", async () => {
        const server = await startServer();
        const controller = new AbortController();
        const options = optionsFor(server, {shardSize: 3});
        const first = await annotate({
            ...options,
            signal: controller.signal,
            onProgress: (p) => {
                if (p.doneRows >= 5) controller.abort();
            }
        });
        expect(first).toMatchObject({stopped: true, complete: false});
        const partial = await readOutput(options.output);
        expect(partial.rows.length).toBe(first.doneRows);
        const second = await annotate(options);
        expect(second).toMatchObject({resumedRows: first.doneRows, doneRows: rowCount - first.doneRows, complete: true});
        await expectEveryRowOnce(options.output, server);
    });

    test("with request and token rate limits set, every row is still answered within them (one second's share at a time)", async () => {
        const server = await startServer();
        // 20 requests and 600 tokens per second, each row's estimate (prompt + 32) about 45 tokens: 24 rows + the probe in about 2 s
        const options = optionsFor(server, {maxRequestsPerMinute: 1200, maxTokensPerMinute: 600 * 60});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true});
        await expectEveryRowOnce(options.output, server);
    });

    test("an unknown model name and a refused key stop at the startup probe with what to check", async () => {
        const server = await startServer({apiKey: "k-123"});
        await expect(annotate(optionsFor(server, {model: "other"}))).rejects.toThrow(/the server refused the credentials \(HTTP 401.*check --api-key-env/u);
        process.env.AIRLABEL_FAKE_KEY = "k-123";
        await expect(annotate(optionsFor(server, {model: "other", apiKeyEnv: "AIRLABEL_FAKE_KEY"}))).rejects.toThrow(
            /not found \(HTTP 404, NotFoundError, param model: The model `other` does not exist\.\); check --base-url .* model "other"$/u
        );
        const result = await annotate(optionsFor(server, {apiKeyEnv: "AIRLABEL_FAKE_KEY", maxRows: 3}));
        expect(result).toMatchObject({okRows: 3, complete: true});
    });

    test("the run identity holds the base URL and model: another server or model on the same output is refused", async () => {
        const server = await startServer();
        const other = await startServer({model: "other-model"});
        const options = optionsFor(server, {maxRows: 3});
        expect(await annotate(options)).toMatchObject({okRows: 3, complete: true});
        await expect(annotate({...options, baseUrl: other.url})).rejects.toThrow(/backend/u);
        await expect(annotate({...options, model: "other-model", baseUrl: other.url})).rejects.toThrow(/backend/u);
        expect(other.requests).toEqual([]);
        const manifest = (await readOutput(options.output)).manifest as unknown as {meta: Record<string, unknown>};
        expect(manifest.meta).toMatchObject({backend: "openai", baseUrl: server.url, model: "fake-model", endpoint: "chat"});
    });

    test("streamed answers: text and usage from the chunks, time to first token measured; an error chunk after a 200 is retried", async () => {
        const server = await startServer({
            script: (r) => (!r.isProbe && r.attemptForPrompt === 1 && rowOf(r) % 2 === 0 ? {streamError: "engine died mid-generation"} : undefined)
        });
        const options = optionsFor(server, {stream: true});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: rowCount, complete: true, requestRetries: rowCount / 2});
        expect(result.timeToFirstTokenMs).toBeGreaterThan(0);
        const out = await expectEveryRowOnce(options.output, server);
        for (const request of server.requests) expect(request.body).toMatchObject({stream: true, stream_options: {include_usage: true}});
        for (const row of out.rows) {
            expect(row.annotation).toEqual({label: "positive", score: 1});
            expect(row.prompt_tokens).toBe(Math.ceil(Buffer.byteLength(promptOf(row.idx as number)) / 4) + 8);
        }
        expect(result.generatedTokens).toBe(out.rows.reduce((sum, r) => sum + (r.completion_tokens as number), 0));
    });

    test("completions endpoint with a schema the server enforces: response_format only, no llama-server json_schema field (SGLang takes a string there)", async () => {
        const server = await startServer();
        const options = optionsFor(server, {endpoint: "completions", maxRows: 2});
        expect(await annotate(options)).toMatchObject({okRows: 2, failedRows: 0});
        // one probe: the server constrained it, so it was not probed again with json_schema
        expect(server.requests.filter((request) => request.isProbe)).toHaveLength(1);
        for (const request of server.requests) {
            expect(request.path).toBe("/completions");
            expect(request.body.response_format).toMatchObject({type: "json_schema"});
            expect(request.body).not.toHaveProperty("json_schema");
        }
    });

    test("completions endpoint: the system message precedes the raw prompt; free text answers; longest prompts first", async () => {
        const server = await startServer();
        const options = optionsFor(server, {endpoint: "completions", schema: undefined, system: "Be brief.", maxRows: 4, maxTokens: 64, concurrency: 1});
        const result = await annotate(options);
        expect(result).toMatchObject({okRows: 4, complete: true});
        const requests = server.requests.filter((r) => !r.isProbe);
        expect(requests.map((r) => r.path)).toEqual(Array(4).fill("/completions"));
        for (const request of requests) {
            expect(request.prompt).toMatch(/^Be brief\.\n\nReview: review \d/u);
            expect(request.body).not.toHaveProperty("response_format");
        }
        const out = await readOutput(options.output);
        for (const row of out.rows) expect(row.annotation).toMatch(/^Hello! You said: Be brief\./u);
        // sorted by estimated prompt tokens, longest first (ties in input order): rows 0..3 have 0..3 times "so good "
        expect(requests.map((r) => r.prompt.slice("Be brief.\n\nReview: ".length))).toEqual([3, 2, 1, 0].map((i) => rows[i]!.text));
    });
});
