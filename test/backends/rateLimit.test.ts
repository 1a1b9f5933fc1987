import http from "node:http";
import path from "node:path";
import {afterEach, beforeAll, describe, expect, test} from "vitest";
import {RateLimiter, rateLimitSpareMs} from "../../src/engine/openai/RateLimiter.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer} from "./support/FakeOpenAIServer.js";

const rowCount = 30;
let dir: string;
let input: string;
const servers: FakeOpenAIServer[] = [];
beforeAll(() => {
    dir = tempDir();
    input = writeJsonl(
        path.join(dir, "rows.jsonl"),
        Array.from({length: rowCount}, (_, i) => ({id: `r${i}`, text: `row ${i}`}))
    );
});
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Most items (weighted) whose times fall in one half-open window [t, t + windowMs), t sliding over the times themselves. */
function maxInWindow(times: number[], windowMs: number, weights: number[] = times.map(() => 1)): number {
    let most = 0;
    for (const start of times) {
        const sum = times.reduce((total, t, i) => (t >= start && t < start + windowMs ? total + weights[i]! : total), 0);
        most = Math.max(most, sum);
    }
    return most;
}

/** Requests of the test's own (not through the limiter), answered 404 by the fake. */
async function warmUp(server: FakeOpenAIServer): Promise<void> {
    for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
            const request = http.request(`${server.url}/chat/completions`, {method: "POST"}, (response) => {
                response.resume();
                response.on("end", resolve);
            });
            request.on("error", reject);
            request.end("{}");
        });
    }
}

describe("rate limits are smooth: one second's share at most in any 1-second window", () => {
    test("600 requests per minute against a real HTTP server: at most 10 arrive in any second, and the run takes as long as 600/min needs", async () => {
        const arrivals: number[] = [];
        const server = await FakeOpenAIServer.start({
            script: () => {
                arrivals.push(performance.now());
                return undefined;
            }
        });
        servers.push(server);
        // a fresh test worker's first HTTP requests pay for loading node's HTTP code (tens of ms on a busy machine), which
        // would make the run's first request arrive later after its start than the next ones: a few of the test's own first
        await warmUp(server);
        arrivals.length = 0;
        const result = await annotate({
            input,
            output: path.join(dir, "out"),
            model: "fake-model",
            backend: "openai",
            baseUrl: server.url,
            template: "Say: {text}",
            maxTokens: 16,
            concurrency: 64,
            shardSize: 10,
            maxRequestsPerMinute: 600,
            requestTimeoutMs: 10_000
        });
        expect(result).toMatchObject({okRows: rowCount, complete: true});
        // the startup probe goes through the limiter too
        expect(arrivals.length).toBe(rowCount + 1);
        const first = arrivals[0]!;
        const at = arrivals.map((t) => t - first);
        const buckets = Array<number>(Math.floor(at[at.length - 1]! / 100) + 1).fill(0);
        for (const t of at) buckets[Math.floor(t / 100)]! += 1;
        const bucketWindows = buckets.map((_, i) => buckets.slice(i, i + 10).reduce((a, b) => a + b, 0));
        const figures = {
            maxPer100ms: Math.max(...buckets),
            first100ms: buckets[0],
            maxPer10Buckets: Math.max(...bucketWindows),
            maxPerSecond: maxInWindow(at, 1000),
            totalMs: Math.round(at[at.length - 1]!)
        };
        expect(figures.first100ms).toBeLessThanOrEqual(10);
        expect(figures.maxPer10Buckets).toBeLessThanOrEqual(10);
        expect(figures.maxPerSecond).toBeLessThanOrEqual(10);
        // 31 requests at 10 per second: the last one starts 3 s after the first (a few ms less: the first came on a new
        // connection), and not much later (2% for the spare time, then the machine's slack)
        expect(figures.totalMs).toBeGreaterThanOrEqual(2990);
        expect(figures.totalMs).toBeLessThan(3400);
    });

    test("tokens per minute: the starts of any second hold at most one second's tokens; a larger request starts alone and the next waits for its tokens", async () => {
        // 6000 tokens per minute: 100 per second, four 25-token requests
        const limiter = new RateLimiter({requestsPerMinute: null, tokensPerMinute: 6000});
        const sizes = [25, 25, 25, 25, 25, 25, 25, 25, 150, 25];
        const t0 = performance.now();
        const starts = await Promise.all(sizes.map((tokens) => limiter.acquire(tokens).then(() => performance.now() - t0)));
        // in arrival order
        expect([...starts].sort((a, b) => a - b)).toEqual(starts);
        // one second's tokens at most in any second (the 150-token request apart: it is alone in its second)
        const small = sizes.map((size, i) => (size <= 100 ? i : -1)).filter((i) => i >= 0);
        expect(
            maxInWindow(
                small.map((i) => starts[i]!),
                1000,
                small.map((i) => sizes[i]!)
            )
        ).toBeLessThanOrEqual(100);
        const big = starts[8]!;
        expect(starts.filter((t) => t > big - 1000 && t < big + 1000)).toEqual([big]);
        // a burst of one second's tokens, then one request per 25 tokens' time (a window w is 1 s and the spare time),
        // the 150-token request once nothing else counts, the next once its 150 tokens' time has passed
        const w = 1000 + rateLimitSpareMs;
        const s = w / 4;
        const expected = [0, 0, 0, 0, w, w + s, w + 2 * s, w + 3 * s, 2 * w + 3 * s, 3.5 * w + 3 * s];
        for (const [i, t] of starts.entries()) {
            expect(t, `start ${i}`).toBeGreaterThanOrEqual(expected[i]!);
            expect(t, `start ${i}`).toBeLessThan(expected[i]! + 150);
        }
    });

    test("below 60 requests per minute, requests are spaced evenly (30/min: 2 s apart, one at once)", async () => {
        const limiter = new RateLimiter({requestsPerMinute: 30, tokensPerMinute: null});
        const t0 = performance.now();
        const starts = await Promise.all([1, 2].map(() => limiter.acquire(1).then(() => performance.now() - t0)));
        expect(starts[0]!).toBeLessThan(100);
        expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(2000);
        expect(starts[1]! - starts[0]!).toBeLessThan(2150);
    });
});
