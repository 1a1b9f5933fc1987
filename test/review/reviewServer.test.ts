import {spawn} from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {exportGold} from "../../src/handoff/exportGold.js";
import {readReviewLog} from "../../src/handoff/ReviewLog.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {startReviewServer, type ReviewServer} from "../../src/review/reviewServer.js";
import {cliPath, generatedModel, tempDir, writeJsonl} from "../support/fixtures.js";

// The review server's safety: the access token, writes only from its own page, no file outside the UI's folder,
// reviews checked against the run; and no accepted review lost to kill -9.

let output: string;
let servers: ReviewServer[] = [];
beforeAll(async () => {
    const dir = tempDir();
    output = path.join(dir, "run");
    const input = writeJsonl(
        path.join(dir, "in.jsonl"),
        Array.from({length: 6}, (_, i) => ({text: `row ${i}`}))
    );
    await annotate({input, model: await generatedModel(), output, choices: ["yes", "no"], template: "{text}", maxTokens: 16});
}, 120_000);
afterAll(async () => {
    for (const server of servers) await server.close();
    servers = [];
});

const review = {annotator: "ann", idx: 1, action: "correct", value: "no", model: null, ratings: {}, better: null, comment: ""};

async function start(options: Partial<Parameters<typeof startReviewServer>[0]> = {}): Promise<{server: ReviewServer; base: string}> {
    const server = await startReviewServer({dir: output, port: 0, ...options});
    servers.push(server);
    const port = new URL(server.url).port;
    return {server, base: `http://127.0.0.1:${port}`};
}

describe("review server safety", () => {
    test("a non-loopback bind refuses every data request without the token; with it, answers", async () => {
        const {server, base} = await start({host: "0.0.0.0"});
        expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/#token=[\w-]{32}$/u);
        const without = await fetch(`${base}/api/info`);
        expect(without.status).toBe(401);
        expect(await without.json()).toEqual({error: "missing or wrong access token (X-Airlabel-Token); open the URL airlabel review printed"});
        expect((await fetch(`${base}/api/info`, {headers: {"X-Airlabel-Token": "x".repeat(32)}})).status).toBe(401);
        const withToken = await fetch(`${base}/api/info`, {headers: {"X-Airlabel-Token": server.token}});
        expect(withToken.status).toBe(200);
        expect(await withToken.json()).toMatchObject({rows: 6, overlap: 1});
    });

    test("writes need the token, JSON, and no other site's Origin (CSRF); a loopback server refuses other Host names (DNS rebinding)", async () => {
        const {server, base} = await start();
        const post = (headers: Record<string, string>, body = JSON.stringify(review)) => fetch(`${base}/api/review`, {method: "POST", headers, body});
        expect((await post({"Content-Type": "application/json"})).status).toBe(401);
        expect((await post({"X-Airlabel-Token": server.token, "Content-Type": "text/plain"})).status).toBe(415);
        const evil = await post({"X-Airlabel-Token": server.token, "Content-Type": "application/json", Origin: "http://evil.example"});
        expect(evil.status).toBe(403);
        expect(await evil.json()).toEqual({error: "cross-origin write from http://evil.example refused"});
        expect((await post({"X-Airlabel-Token": server.token, "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"})).status).toBe(403);
        // fetch() cannot change Host: a raw request, as a page on attacker.example resolving to 127.0.0.1 would send
        const rebound = await new Promise<number>((resolve, reject) => {
            const request = http.get(
                `${base}/api/info`,
                {headers: {"X-Airlabel-Token": server.token, Host: `attacker.example:${new URL(base).port}`}},
                (response) => {
                    response.resume();
                    resolve(response.statusCode!);
                }
            );
            request.once("error", reject);
        });
        expect(rebound).toBe(421);
        expect(await readReviewLog(output)).toEqual([]);
        const ok = await post({"X-Airlabel-Token": server.token, "Content-Type": "application/json", Origin: base});
        expect(ok.status).toBe(200);
        expect(await readReviewLog(output)).toMatchObject([{annotator: "ann", idx: 1, action: "correct", value: "no"}]);
    });

    test("static files cannot escape the UI's folder; reviews that do not fit the run are refused with the reason", async () => {
        const {server, base} = await start();
        expect((await fetch(`${base}/`)).headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect((await fetch(`${base}/static/review.js`)).status).toBe(200);
        for (const outside of [
            "/static/../../package.json",
            "/static/..%2F..%2Fpackage.json",
            "/static/%2e%2e/%2e%2e/package.json",
            "/static/..%5C..%5Cpackage.json",
            "/package.json",
            "/static/"
        ])
            expect((await fetch(`${base}${outside}`)).status, outside).toBe(404);
        const headers = {"X-Airlabel-Token": server.token, "Content-Type": "application/json"};
        const refused = async (body: Record<string, unknown>) => {
            const response = await fetch(`${base}/api/review`, {method: "POST", headers, body: JSON.stringify({...review, ...body})});
            expect(response.status).toBe(400);
            return ((await response.json()) as {error: string}).error;
        };
        expect(await refused({idx: 99})).toBe("idx 99 is not a row of this run");
        expect(await refused({value: "maybe"})).toMatch(/^answer does not match the schema: /u);
        expect(await refused({action: "approve"})).toBe("action must be one of accept, correct, reject, skip");
        expect(await refused({ratings: {someone: 9}})).toMatch(/^rating 9 of "someone": ratings are 1\.\.5/u);
        expect(await refused({annotator: "<script>"})).toBe("annotator must be a name of 1 to 64 letters, digits, spaces or _.@-");
    });
});

describe("review durability", () => {
    test("kill -9 right after the server accepted reviews loses none of them", async () => {
        const before = (await readReviewLog(output)).length;
        const child = spawn(process.execPath, [cliPath, "review", output, "--port", "0"], {stdio: ["ignore", "ignore", "pipe"]});
        let stderr = "";
        const url = await new Promise<string>((resolve, reject) => {
            child.stderr.on("data", (chunk: Buffer) => {
                stderr += chunk.toString();
                const match = /open (http:\/\/\S+)/u.exec(stderr);
                if (match !== null) resolve(match[1]!);
            });
            child.once("exit", (code) => reject(new Error(`airlabel review exited (${code}): ${stderr}`)));
        });
        const {origin, hash} = new URL(url);
        const token = new URLSearchParams(hash.slice(1)).get("token")!;
        for (let idx = 0; idx < 6; idx++) {
            const response = await fetch(`${origin}/api/review`, {
                method: "POST",
                headers: {"X-Airlabel-Token": token, "Content-Type": "application/json"},
                body: JSON.stringify({...review, annotator: "bob", idx, action: "reject"})
            });
            expect(response.status).toBe(200);
        }
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        const entries = await readReviewLog(output);
        expect(entries.slice(before).map((entry) => [entry.annotator, entry.idx, entry.action])).toEqual(
            Array.from({length: 6}, (_, idx) => ["bob", idx, "reject"])
        );
        // a line a crash cut short is dropped when the server opens the log again
        fs.appendFileSync(path.join(output, "review", "log.jsonl"), '{"seq": 99, "annot');
        const {server} = await start();
        expect((await readReviewLog(output)).length).toBe(before + 6);
        await server.close();
        servers = servers.filter((other) => other !== server);
    }, 60_000);
});

describe("reviews across re-runs", () => {
    test("a row a re-run changed (its input, hence its answer) is reviewed again; its earlier review no longer counts", async () => {
        const dir = tempDir();
        const run = path.join(dir, "ids");
        const input = path.join(dir, "ids.jsonl");
        const rows = (second: string) => [
            {id: "a", text: "first"},
            {id: "b", text: second},
            {id: "c", text: "third"}
        ];
        writeJsonl(input, rows("second"));
        const options = {input, model: await generatedModel(), output: run, choices: ["yes", "no"], template: "{text}", maxTokens: 16, idColumn: "id"};
        await annotate(options);
        const post = async (server: ReviewServer, body: Record<string, unknown>) => {
            const response = await fetch(`http://127.0.0.1:${new URL(server.url).port}/api/review`, {
                method: "POST",
                headers: {"X-Airlabel-Token": server.token, "Content-Type": "application/json"},
                body: JSON.stringify(body)
            });
            expect(response.status).toBe(200);
        };
        const next = async (server: ReviewServer) => {
            const response = await fetch(`http://127.0.0.1:${new URL(server.url).port}/api/next?annotator=ann`, {headers: {"X-Airlabel-Token": server.token}});
            return ((await response.json()) as {task: {idx: number} | null}).task;
        };
        const first = await startReviewServer({dir: run, port: 0});
        for (const idx of [0, 1, 2]) await post(first, {...review, idx, action: "reject"});
        expect(await next(first)).toBeNull();
        await first.close();
        // row b corrected in the input: answered again (its idx kept), so ann's review of it is stale
        writeJsonl(input, rows("second, corrected"));
        await annotate(options);
        const second = await startReviewServer({dir: run, port: 0});
        servers.push(second);
        expect(await next(second)).toMatchObject({idx: 1, columns: {text: "second, corrected"}});
        const gold = await exportGold({dir: run});
        expect(gold).toMatchObject({rows: 3, rejected: 2, fromModel: 1});
    }, 60_000);
});

describe("a run that goes on while it is reviewed", () => {
    test("rows a resumed run commits reach the annotators without restarting the server", async () => {
        const dir = tempDir();
        const live = path.join(dir, "live");
        const rows = Array.from({length: 5}, (_, i) => ({text: `grown row ${i}`}));
        const options = {model: await generatedModel(), output: live, choices: ["yes", "no"], template: "{text}", maxTokens: 16};
        await annotate({...options, input: writeJsonl(path.join(dir, "in.jsonl"), rows.slice(0, 3))});
        const server = await startReviewServer({dir: live, port: 0});
        servers.push(server);
        const base = `http://127.0.0.1:${new URL(server.url).port}`;
        const headers = {"X-Airlabel-Token": server.token};
        const info = async () => (await (await fetch(`${base}/api/info`, {headers})).json()) as {rows: number};
        expect(await info()).toMatchObject({rows: 3});
        // the input grew: the same command answers the 2 new rows
        await annotate({...options, input: writeJsonl(path.join(dir, "in.jsonl"), rows)});
        expect(await info()).toMatchObject({rows: 5});
        const progress = (await (await fetch(`${base}/api/progress`, {headers})).json()) as {rows: number; reviewsNeeded: number};
        expect(progress).toMatchObject({rows: 5, reviewsNeeded: 5});
    });
});
