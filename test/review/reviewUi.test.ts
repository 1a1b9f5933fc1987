import fs from "node:fs";
import path from "node:path";
import {chromium, type Browser, type Page} from "playwright-core";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {exportGold} from "../../src/handoff/exportGold.js";
import {latestReviews, readReviewLog} from "../../src/handoff/ReviewLog.js";
import {readOutput} from "../../src/output/readOutput.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {startReviewServer, type ReviewServer} from "../../src/review/reviewServer.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// The review web app in a real headless browser (Debian's Chromium, driven by playwright-core): two annotators review
// the same 10 rows (overlap 2) with the keyboard and the mouse, disagreeing on one; then the review log, the gold
// export and the agreement are checked against values worked out by hand.

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
const CHROMIUM = process.env.AIRLABEL_CHROMIUM ?? "/usr/bin/chromium";
const choices = ["positive", "negative"];

let browser: Browser;
let dir: string;
let output: string;
let server: ReviewServer;
beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set AIRLABEL_CHROMIUM)`);
    browser = await chromium.launch({executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"]});
    dir = tempDir();
    output = path.join(dir, "run");
    const input = writeJsonl(
        path.join(dir, "in.jsonl"),
        Array.from({length: 10}, (_, i) => ({text: `review number ${i}: ${i % 2 === 0 ? "loved it" : "broke after a day"}`}))
    );
    await annotate({input, model: await generatedModel(), output, choices, template: "Sentiment of: {text}", maxTokens: 16});
    server = await startReviewServer({dir: output, port: 0, overlap: 2});
}, 120_000);
afterAll(async () => {
    await server?.close();
    await browser?.close();
});

/** The page's document, as the functions that run in the browser see it (this file has no DOM types). */
type PageDocument = {getElementById(id: string): {hidden: boolean; textContent: string | null}};

/** Logs `name` in and reviews every task it gets: `pick(idx)` is the option it chooses (1-based) and `keys` whether it uses the keyboard. */
async function reviewAs(name: string, pick: (idx: number) => number, keys: boolean): Promise<number[]> {
    const page: Page = await (await browser.newContext()).newPage();
    await page.goto(server.url);
    await page.getByTestId("annotator").fill(name);
    await page.getByTestId("start").click();
    const seen: number[] = [];
    for (;;) {
        // in the page: the task shown, or nothing left
        await page.waitForFunction(() => {
            const doc = (globalThis as unknown as {document: PageDocument}).document;
            return (doc.getElementById("message").textContent ?? "").startsWith("Nothing left") || !doc.getElementById("task").hidden;
        });
        if (await page.getByTestId("task").isHidden()) break;
        const idx = Number((await page.getByTestId("idx").textContent())!.replace("row idx ", ""));
        expect(seen, `${name} got row ${idx} twice`).not.toContain(idx);
        seen.push(idx);
        const option = pick(idx);
        if (keys) {
            await page.keyboard.press(String(option));
            await page.keyboard.press("t");
            await page.keyboard.press("1");
            await page.keyboard.press("4");
            await page.keyboard.press("Enter");
        } else {
            await page.getByTestId(`choice-answer-${choices[option - 1]}`).click();
            await page.getByTestId("comment").fill(`checked ${idx}`);
            await page.getByTestId(option === 1 ? "accept" : "correct").click();
        }
        await page.waitForFunction((previous) => {
            const doc = (globalThis as unknown as {document: PageDocument}).document;
            return (
                (doc.getElementById("message").textContent ?? "").startsWith("Nothing left") || doc.getElementById("idx").textContent !== `row idx ${previous}`
            );
        }, idx);
    }
    await page.context().close();
    return seen;
}

describe("airlabel review in a browser", () => {
    test("two annotators review 10 rows with one disagreement: the log, the gold export and the agreement", async () => {
        const answers = new Map((await readOutput(output)).rows.map((row) => [Number(row.idx), row.annotation]));
        expect(answers.size).toBe(10);
        // ann always picks "positive"; bob picks "positive" too, except on row 3
        const annSaw = await reviewAs("ann", () => 1, true);
        const bobSaw = await reviewAs("bob", (idx) => (idx === 3 ? 2 : 1), false);
        expect(annSaw.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
        expect(bobSaw.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);

        const entries = latestReviews(await readReviewLog(output));
        expect(entries).toHaveLength(20);
        for (const entry of entries) {
            const chose = entry.annotator === "bob" && entry.idx === 3 ? "negative" : "positive";
            expect(entry.value).toBe(chose);
            // an answer left as the model gave it is an accept, a changed one a correction
            expect(entry.action).toBe(answers.get(entry.idx) === chose ? "accept" : "correct");
            if (entry.annotator === "ann") expect(entry.ratings).toEqual({[Object.keys(entry.ratings)[0]!]: 4});
            else expect(entry.comment).toBe(`checked ${entry.idx}`);
        }

        const gold = await exportGold({dir: output});
        expect(gold).toMatchObject({rows: 10, reviewed: 9, fromModel: 0, rejected: 0, ties: 1});
        const records = fs
            .readFileSync(gold.file, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(records.map((record) => record.idx)).toEqual([...Array(10).keys()]);
        for (const record of records) {
            if (record.idx === 3) expect(record).toMatchObject({gold: null, gold_source: "tie", tie: true});
            else expect(record).toMatchObject({gold: "positive", gold_source: "review"});
            expect((record.reviews as {annotator: string}[]).map((r) => r.annotator).sort()).toEqual(["ann", "bob"]);
            expect(record.text).toMatch(/^review number /u);
        }

        // the agreement `airlabel stats` reports, against figures worked out by hand: 9 of 10 rows the same; ann said
        // positive 10 times, bob 9 times: p_o = 0.9, p_e = (10/10)(9/10) + (0/10)(1/10) = 0.9, so Cohen's kappa =
        // (0.9 - 0.9) / (1 - 0.9) = 0 (all of the agreement is what chance gives with ann's labels)
        const stats = await runCli(["stats", output, "--json"]);
        expect(stats.code, stats.stderr).toBe(0);
        const fromApp = (
            JSON.parse(stats.stdout) as {
                reviews: {name: string; ties: number; team: {pairs: {a: string; b: string; n: number; agreement: number; kappa: number}[]}}[];
            }
        ).reviews.find((set) => set.name === "review")!;
        expect(fromApp.ties).toBe(1);
        expect(fromApp.team.pairs).toEqual([expect.objectContaining({a: "ann", b: "bob", n: 10, agreement: 0.9, kappa: 0})]);
    }, 180_000);
});
