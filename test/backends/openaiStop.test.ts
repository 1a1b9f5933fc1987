import fs from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, test} from "vitest";
import {readJsonlDir, runCli, tempDir, writeJsonl, type CliResult} from "../support/fixtures.js";
import {FakeOpenAIServer, type FakeRequest, type FakeServerOptions} from "./support/FakeOpenAIServer.js";

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(options: FakeServerOptions): Promise<FakeOpenAIServer> {
    const server = await FakeOpenAIServer.start(options);
    servers.push(server);
    return server;
}

const rowNumber = (request: FakeRequest) => Number(/^row (\d+)$/u.exec(request.prompt)?.[1] ?? -1);

function job(server: FakeOpenAIServer, output: string, rows: number, ...extra: string[]): string[] {
    const input = path.join(path.dirname(output), "in.jsonl");
    if (!fs.existsSync(input))
        writeJsonl(
            input,
            Array.from({length: rows}, (_, i) => ({text: `row ${i}`}))
        );
    return [
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
        "--concurrency",
        "2",
        "--shard-size",
        "1",
        ...extra
    ];
}

/** Runs the CLI, sends SIGINT once `ready` holds for the server's requests; the request count then, and the ms from the signal to the exit. */
async function interrupt(
    args: string[],
    server: FakeOpenAIServer,
    ready: (requests: FakeRequest[]) => boolean
): Promise<{result: CliResult; atSignal: number; stopMs: number}> {
    let atSignal = -1;
    let signalledAt = 0;
    const result = await runCli(args, {
        onSpawn: (child) => {
            const poll = setInterval(() => {
                if (!ready(server.requests)) return;
                clearInterval(poll);
                atSignal = server.requests.length;
                signalledAt = performance.now();
                child.kill("SIGINT");
                // the old behaviour went on for minutes: end the test's child in any case
                setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
            }, 20);
            child.on("close", () => clearInterval(poll));
        }
    });
    return {result, atSignal, stopMs: performance.now() - signalledAt};
}

describe("SIGINT with the openai backend", () => {
    test("a hung server: no new request or retry after the signal; the requests in flight end with the grace period; exit 130; the same command resumes", async () => {
        const server = await startServer({script: (r) => (rowNumber(r) >= 2 ? {hang: true} : undefined)});
        const output = path.join(tempDir(), "out");
        const args = job(server, output, 8, "--request-timeout-ms", "3000", "--max-request-attempts", "5", "--retry-base-delay-ms", "10");
        const {result, atSignal, stopMs} = await interrupt(args, server, (requests) => requests.filter((r) => rowNumber(r) >= 2).length === 2);
        expect(result.code, result.stderr).toBe(130);
        expect(result.stderr).toContain("airlabel: SIGINT: finishing the rows in flight and committing them; re-run the same command to resume");
        expect(result.stderr).toMatch(/airlabel: stopped: 2 answered, 0 failed, 0 already committed, of 8 rows/u);
        expect(server.requests.length, "requests after the signal").toBe(atSignal);
        expect(stopMs).toBeLessThan(3000 + 2000);
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((row) => row.idx)
                .sort()
        ).toEqual([0, 1]);
        expect(readJsonlDir(path.join(output, "errors"))).toEqual([]);

        // the same server answers again: the cut-off rows are generated on resume
        const port = server.port;
        await server.close();
        const healthy = await startServer({port});
        const resumed = await runCli([...args, "--json"]);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(JSON.parse(resumed.stdout)).toMatchObject({resumedRows: 2, okRows: 6, complete: true});
        expect(healthy.requests.filter((r) => !r.isProbe)).toHaveLength(6);
    });

    test("a server failing with retryable errors: the retries stop at the signal (no request starts after it), exit 130", async () => {
        const server = await startServer({script: (r) => (r.isProbe ? undefined : {status: 503, error: {message: "busy", type: "ServiceUnavailableError"}})});
        const output = path.join(tempDir(), "out");
        const args = job(server, output, 4, "--max-request-attempts", "1000", "--retry-base-delay-ms", "50", "--retry-max-delay-ms", "100");
        const {result, atSignal, stopMs} = await interrupt(args, server, (requests) => requests.length >= 12);
        expect(result.code, result.stderr).toBe(130);
        // a request already on its way when the signal came may still arrive: at most one per concurrent row
        expect(server.requests.length - atSignal, "requests after the signal").toBeLessThanOrEqual(2);
        expect(stopMs).toBeLessThan(2000);
        expect(readJsonlDir(path.join(output, "errors"))).toEqual([]);
    });

    test("requests in flight that answer within the grace period are committed", async () => {
        const server = await startServer({
            script: (r) => (rowNumber(r) >= 2 && !r.isProbe ? {delayMs: 1500, then: {answer: `answer ${rowNumber(r)}`}} : undefined)
        });
        const output = path.join(tempDir(), "out");
        const args = job(server, output, 8);
        const {result, atSignal} = await interrupt(args, server, (requests) => requests.filter((r) => rowNumber(r) >= 2).length === 2);
        expect(result.code, result.stderr).toBe(130);
        expect(server.requests.length).toBe(atSignal);
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((row) => row.idx)
                .sort()
        ).toEqual([0, 1, 2, 3]);
    });
});
