import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {prepareJob, type PrepareJobOptions} from "../../src/prepare/prepareJob.js";
import type {PreparedJob, PreparedFailure, PreparedRow} from "../../src/prepare/PreparedJob.js";
import {tempDir} from "../support/fixtures.js";

// Prompt tokens are estimated (no model: the remote path, ceil(UTF-8 bytes / 4)), so these tests need no GGUF.
function setup(records: Array<Record<string, unknown> | string>): {input: string; output: string} {
    const dir = tempDir();
    const input = path.join(dir, "in.jsonl");
    fs.writeFileSync(input, records.map((record) => (typeof record === "string" ? record : JSON.stringify(record))).join("\n") + "\n");
    return {input, output: path.join(dir, "out")};
}

function options(files: {input: string; output: string}, extra: Partial<PrepareJobOptions> = {}): PrepareJobOptions {
    return {
        ...files,
        model: "remote-model",
        template: "{text}",
        templateOrigin: "--prompt",
        chatTemplate: "none",
        sort: "shortest",
        dedup: false,
        skipInvalidRows: false,
        vocabModel: null,
        modelFingerprint: "remote:test",
        ...extra
    };
}

async function readAll(job: PreparedJob): Promise<{rows: PreparedRow[]; failures: PreparedFailure[]; windows: number}> {
    const rows: PreparedRow[] = [];
    const failures: PreparedFailure[] = [];
    let windows = 0;
    for await (const window of job.windows()) {
        windows++;
        rows.push(...window.rows);
        failures.push(...window.failures);
    }
    return {rows, failures, windows};
}

/** 60 rows whose prompt lengths are a scramble of 1..60 words of 4 bytes (one estimated token each). */
const lengths = Array.from({length: 60}, (_, i) => ((i * 37) % 60) + 1);
const records = lengths.map((words, i) => ({id: i, text: "abc ".repeat(words).trim()}));

describe("prepare keeps rows on disk and reads them back window by window", () => {
    test("rows come back in exact generation order across many windows, each idx once, with their columns", async () => {
        for (const sort of ["shortest", "longest", "none"] as const) {
            const files = setup(records);
            const job = await prepareJob(options(files, {sort, windowRows: 7}));
            const {rows, failures, windows} = await readAll(job);
            expect(windows).toBe(Math.ceil(60 / 7));
            expect(fs.readdirSync(job.cacheDir)).toHaveLength(Math.ceil(60 / 7));
            expect(failures).toEqual([]);
            expect(rows.map((row) => row.idx).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
            const expected = records.map((record, idx) => ({idx, tokens: Math.ceil(record.text.length / 4)}));
            if (sort === "shortest") expected.sort((a, b) => a.tokens - b.tokens || a.idx - b.idx);
            if (sort === "longest") expected.sort((a, b) => b.tokens - a.tokens || a.idx - b.idx);
            expect(
                rows.map((row) => row.idx),
                sort
            ).toEqual(expected.map((entry) => entry.idx));
            for (const row of rows) {
                expect(row.prompt).toBe(records[row.idx]!.text);
                expect(row.columns).toEqual(records[row.idx]);
            }
            expect(job).toMatchObject({totalRows: 60, rowCount: 60, failureCount: 0, firstPrompt: records[0]!.text, fromCache: false});
            expect(
                fs.readdirSync(path.dirname(job.cacheDir)).filter((name) => /spill|tmp/u.test(name)),
                "no spill or temp file left"
            ).toEqual([]);
        }
    });

    test("a second prepare reads the cache; a torn cache is rebuilt", async () => {
        const files = setup(records);
        const first = await prepareJob(options(files, {windowRows: 16}));
        const second = await prepareJob(options(files, {windowRows: 16}));
        expect(second.fromCache).toBe(true);
        expect((await readAll(second)).rows).toEqual((await readAll(first)).rows);
        fs.truncateSync(path.join(second.cacheDir, "window-000001.arrow"), 100);
        const third = await prepareJob(options(files, {windowRows: 16}));
        expect(third.fromCache).toBe(false);
        expect((await readAll(third)).rows).toEqual((await readAll(first)).rows);
        const sorted = await prepareJob(options(files, {windowRows: 16, sort: "longest"}));
        expect(sorted.fromCache, "the generation order is part of the cache key").toBe(false);
    });

    test("malformed rows, duplicates and prompts over the limit are failures; every idx appears exactly once", async () => {
        const files = setup([{text: "a"}, "{not json", {text: "a"}, {text: "b ".repeat(40)}, {text: "c"}]);
        const job = await prepareJob(options(files, {skipInvalidRows: true, dedup: true, maxPromptTokens: 10, windowRows: 2}));
        expect(job).toMatchObject({totalRows: 5, rowCount: 2, failureCount: 3, maxPromptTokens: 1, minPromptTokens: 1, totalPromptTokens: 2});
        const {rows, failures} = await readAll(job);
        expect(rows.map((row) => row.idx)).toEqual([0, 4]);
        expect(failures.map((failure) => failure.idx).sort()).toEqual([1, 2, 3]);
        expect(failures.find((failure) => failure.idx === 1)).toMatchObject({stage: "input", location: expect.stringContaining("line 2")});
        expect(failures.find((failure) => failure.idx === 2)?.reason).toBe("duplicate of row idx 0 (--dedup)");
        expect(failures.find((failure) => failure.idx === 3)?.reason).toMatch(/^prompt has 20 tokens, more than the 10 the context leaves for it/u);
        const unlimited = await prepareJob(options(files, {skipInvalidRows: true, dedup: true, windowRows: 2}));
        expect(unlimited, "the limit is applied per run, on the same cache").toMatchObject({
            fromCache: true,
            rowCount: 3,
            failureCount: 2,
            maxPromptTokens: 20
        });
    });

    test("--shuffle-seed with --max-rows takes a seeded sample, in input order; the seed decides which rows", async () => {
        const files = setup(records);
        const pick = async (seed: number) =>
            (await readAll(await prepareJob(options(files, {shuffleSeed: seed, maxRows: 10, sort: "none", useCache: false})))).rows.map((row) => row.idx);
        const a = await pick(1);
        expect(a).toHaveLength(10);
        expect([...a].sort((x, y) => x - y)).toEqual(a);
        expect(await pick(1)).toEqual(a);
        expect(await pick(2)).not.toEqual(a);
        expect(a).not.toEqual(records.slice(0, 10).map((_, i) => i));
        const first = await prepareJob(options(files, {maxRows: 10, sort: "none", useCache: false}));
        expect((await readAll(first)).rows.map((row) => row.idx)).toEqual(Array.from({length: 10}, (_, i) => i));
    });

    test("records made on demand (a record list): the same rows as the array, sampled the same way; a bad record is named", async () => {
        const files = setup(records);
        const list = {length: records.length, at: (ordinal: number) => records[ordinal]};
        const prepared = async (extra: Partial<PrepareJobOptions>) =>
            (await readAll(await prepareJob(options(files, {input: "rows", sort: "none", useCache: false, ...extra})))).rows.map((row) => [
                row.idx,
                row.prompt
            ]);
        expect(await prepared({records: list})).toEqual(await prepared({records}));
        expect(await prepared({records: list, shuffleSeed: 3, maxRows: 10})).toEqual(await prepared({records, shuffleSeed: 3, maxRows: 10}));
        // a million rows: only the 5 sampled are kept, none is held beyond its read
        const million = {length: 1_000_000, at: (ordinal: number) => ({text: `row ${ordinal}`})};
        const sampled = await prepared({records: million, shuffleSeed: 3, maxRows: 5});
        expect(sampled).toHaveLength(5);
        for (const [idx, prompt] of sampled) expect(prompt).toBe(`row ${idx}`);
        await expect(
            prepareJob(
                options(files, {
                    input: "rows",
                    useCache: false,
                    records: {length: 3, at: (ordinal: number) => (ordinal === 1 ? null : {text: "x"}) as Record<string, unknown>}
                })
            )
        ).rejects.toThrow("rows record 2: the record list gave null, not an object; check its at()");
    });

    test("an input with no rows is refused, whatever the template and format (one rule: empty JSONL, header-only CSV)", async () => {
        const files = setup([]);
        fs.writeFileSync(files.input, "");
        await expect(prepareJob(options(files, {template: "a prompt without fields"}))).rejects.toThrow(
            `input ${files.input} has no rows (it is empty); check the --input path`
        );
        const csv = path.join(path.dirname(files.input), "header.csv");
        fs.writeFileSync(csv, "text\n");
        await expect(prepareJob(options(files, {input: csv}))).rejects.toThrow(`input ${csv} has no rows (only a header); check the --input path`);
        expect((await prepareJob(options(files, {input: csv, maxRows: 0}))).totalRows).toBe(0); // --max-rows 0 asks for none
    });
});

describe("a prepare killed part-way", () => {
    test("leaves spill files and temp folders that the next prepare removes (those of a live process are kept)", async () => {
        const files = setup(records);
        const cacheDir = path.join(files.output, "cache");
        fs.mkdirSync(cacheDir, {recursive: true});
        const dead = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
        const orphans = [`prepared-abc.${dead}.rows.spill`, `prepared-abc.${dead}.bucket-3.spill`, `prepared-abc.${dead}.tmp`, `prepared-abc.json.${dead}.tmp`];
        for (const name of orphans) fs.writeFileSync(path.join(cacheDir, name), "partial");
        const live = `prepared-abc.${process.pid}.rows.spill`;
        fs.writeFileSync(path.join(cacheDir, live), "in use");
        await prepareJob(options(files));
        const left = fs.readdirSync(cacheDir);
        for (const name of orphans) expect(left, name).not.toContain(name);
        expect(left).toContain(live);
    });
});
