import path from "node:path";
import {afterEach, expect, test} from "vitest";
import {readJsonlDir, runCli, tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer, type FakeRequest} from "./support/FakeOpenAIServer.js";

// --row-timeout with the openai backend: the limit ends the row's request, its retries and the waits between them.

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

const rowNumber = (request: FakeRequest) => Number(/^row (\d+)$/u.exec(request.prompt)?.[1] ?? -1);

test("a row the server never answers and a row it keeps refusing with 503 fail at --row-timeout; the others are answered", async () => {
    const server = await FakeOpenAIServer.start({
        script: (r) =>
            rowNumber(r) === 1 ? {hang: true} : rowNumber(r) === 2 ? {status: 503, error: {message: "busy", type: "ServiceUnavailableError"}} : undefined
    });
    servers.push(server);
    const dir = tempDir();
    const input = writeJsonl(
        path.join(dir, "in.jsonl"),
        Array.from({length: 4}, (_, i) => ({text: `row ${i}`}))
    );
    const output = path.join(dir, "out");
    const started = performance.now();
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
        "-p",
        "{text}",
        "--max-tokens",
        "8",
        "--max-request-attempts",
        "1000",
        "--retry-base-delay-ms",
        "50",
        "--retry-max-delay-ms",
        "100",
        "--row-timeout",
        "2"
    ]);
    const seconds = (performance.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(0);
    expect(seconds).toBeLessThan(2 + 4);
    expect(
        readJsonlDir(path.join(output, "data"))
            .map((row) => row.idx)
            .sort()
    ).toEqual([0, 3]);
    const errors = readJsonlDir(path.join(output, "errors")).sort((a, b) => Number(a.idx) - Number(b.idx));
    expect(errors.map((row) => [row.idx, row.stage, row.finish_reason])).toEqual([
        [1, "generate", "timeout"],
        [2, "generate", "timeout"]
    ]);
    for (const row of errors) expect(String(row.reason)).toMatch(/--row-timeout 2 s/u);
    // the refused row was retried until the limit, then not again
    const refused = server.requests.filter((r) => rowNumber(r) === 2).length;
    expect(refused).toBeGreaterThan(3);
});
