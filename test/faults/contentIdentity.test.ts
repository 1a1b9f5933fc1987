import {readOutput} from "../../src/output/readOutput.js";
import {sha256Of} from "../../src/files/sha256Of.js";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {modelSha256} from "../../src/model/modelSha256.js";
import {generatedModel, tempDir, writeJsonl} from "../support/fixtures.js";
import {checkInvariants, runAirlabel, stderrLines} from "./harness.js";

const cacheDir = tempDir();
const savedCacheDir = process.env.AIRLABEL_CACHE_DIR;
beforeAll(() => {
    process.env.AIRLABEL_CACHE_DIR = cacheDir;
});
afterAll(() => {
    if (savedCacheDir === undefined) delete process.env.AIRLABEL_CACHE_DIR;
    else process.env.AIRLABEL_CACHE_DIR = savedCacheDir;
});

/** Change `bytes` bytes in the middle of a file in place, then put its atime and mtime back (`touch -r`). */
function editInPlaceKeepingTimes(file: string, offset: number, bytes: Buffer): void {
    const stat = fs.statSync(file);
    const reference = `${file}.times`;
    expect(spawnSync("touch", ["-r", file, reference]).status).toBe(0);
    const fd = fs.openSync(file, "r+");
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
    fs.closeSync(fd);
    expect(spawnSync("touch", ["-r", reference, file]).status).toBe(0);
    fs.rmSync(reference);
    expect(fs.statSync(file).mtimeMs).toBe(stat.mtimeMs);
    expect(fs.statSync(file).size).toBe(stat.size);
}

function args(input: string, model: string, output: string): string[] {
    return [
        "run",
        "-i",
        input,
        "-m",
        model,
        "-o",
        output,
        "-p",
        "Label this: {text}",
        "--choices",
        "good,bad",
        "--max-tokens",
        "4",
        "--context-size",
        "128",
        "--shard-size",
        "4",
        "--parallel",
        "2",
        "--gpu",
        "cpu",
        "-q"
    ];
}

describe("what a resume compares covers all of the content", () => {
    test("an input edited in place with its size and mtime put back (touch -r): the edited row is found and answered from its new content, not from stale prompts", async () => {
        const model = await generatedModel();
        const dir = tempDir();
        const rows = Array.from({length: 8}, (_, i) => ({id: i, text: `the cat ${i}`}));
        const input = writeJsonl(path.join(dir, "in.jsonl"), rows);
        const output = path.join(dir, "out");
        const first = await runAirlabel(args(input, model, output));
        expect(first.code, first.stderr).toBe(0);
        const finished = await checkInvariants(
            output,
            rows.map((_, i) => i),
            {settled: true}
        );
        const text = fs.readFileSync(input, "utf8");
        editInPlaceKeepingTimes(input, text.indexOf("cat"), Buffer.from("hat"));
        const again = await runAirlabel([...args(input, model, output), "--json"]);
        expect(again.code, again.stderr).toBe(0);
        // the edited row is found (rows are matched by content): answered as a new row, the earlier one reported
        expect(JSON.parse(again.stdout)).toMatchObject({doneRows: 1, inputChanges: {newRows: 1, removed: 1, removedIdx: [0]}});
        const contents = await readOutput(output);
        // answered or failed (4 tokens may not spell a label), each row beside its own text
        const textOf = (idx: number) => {
            const row = [...contents.rows, ...contents.errors].find((record) => record.idx === idx);
            return row?.text ?? (row?.columns as Record<string, unknown> | undefined)?.text;
        };
        expect(textOf(8)).toBe("the hat 0");
        expect(textOf(0)).toBe("the cat 0");
        // the earlier shards are as they were, byte for byte
        for (const [file, sha256] of finished.shards) expect(sha256Of(fs.readFileSync(path.join(output, file))), file).toBe(sha256);
        // a fresh output prepares the edited rows, not the cached ones
        const fresh = await runAirlabel([...args(input, model, path.join(dir, "fresh")), "--json"]);
        expect(fresh.code, fresh.stderr).toBe(0);
        expect(JSON.parse(fresh.stdout)).toMatchObject({preparedFromCache: false, complete: true});
    });

    test("two models with the same name and size, different weights in the middle (a fine-tune's shape): the second is refused as a different model", async () => {
        // bigger than the two MiB an older fingerprint sampled (its first and last MiB)
        const original = await generatedModel(10_000_000);
        const dir = tempDir();
        fs.mkdirSync(path.join(dir, "a"));
        fs.mkdirSync(path.join(dir, "b"));
        const modelA = path.join(dir, "a", "model.gguf");
        const modelB = path.join(dir, "b", "model.gguf");
        fs.copyFileSync(original, modelA);
        fs.copyFileSync(original, modelB);
        const size = fs.statSync(modelB).size;
        expect(size).toBeGreaterThan(4 * 1024 * 1024);
        editInPlaceKeepingTimes(modelB, Math.floor(size / 2), Buffer.alloc(64, 0x11));
        const rows = Array.from({length: 6}, (_, i) => ({text: `row ${i}`}));
        const input = writeJsonl(path.join(dir, "in.jsonl"), rows);
        const output = path.join(dir, "out");
        const first = await runAirlabel(args(input, modelA, output));
        expect(first.code, first.stderr).toBe(0);
        const second = await runAirlabel(args(input, modelB, output));
        expect(second.code, second.stderr).toBe(1);
        expect(stderrLines(second)).toEqual([
            expect.stringMatching(
                / holds a run with a different model \(was model\.gguf:\d+:sha256:[0-9a-f]+\.\.\., now model\.gguf:\d+:sha256:[0-9a-f]+\.\.\.\); /u
            )
        ]);
    });
});

describe("modelSha256", () => {
    test("hashes the whole file once; later calls read the cache; an edit in place with the mtime put back is hashed again", async () => {
        const own = tempDir();
        process.env.AIRLABEL_CACHE_DIR = own;
        const file = path.join(tempDir(), "weights.bin");
        fs.writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7));
        const hashed: number[] = [];
        const first = await modelSha256(file, (bytes) => hashed.push(bytes));
        expect(first).toMatch(/^[0-9a-f]{64}$/u);
        expect(await modelSha256(file, (bytes) => hashed.push(bytes))).toBe(first);
        // told once, of the one hash computed; the second call read the cache
        expect(hashed).toEqual([3 * 1024 * 1024]);
        const entries = fs.readdirSync(path.join(own, "model-sha256"));
        expect(entries).toHaveLength(1);
        // proof that the second call does not read the file: it returns what the cache holds
        const entryFile = path.join(own, "model-sha256", entries[0]!);
        const entry = JSON.parse(fs.readFileSync(entryFile, "utf8")) as {sha256: string};
        fs.writeFileSync(entryFile, JSON.stringify({...entry, sha256: "c".repeat(64)}));
        expect(await modelSha256(file)).toBe("c".repeat(64));
        editInPlaceKeepingTimes(file, 1024 * 1024 + 5, Buffer.from([1]));
        const edited = await modelSha256(file);
        expect(edited).not.toBe(first);
        expect(edited).not.toBe("c".repeat(64));
    });
});
