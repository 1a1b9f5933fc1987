import {spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import ts from "typescript";
import {describe, expect, test} from "vitest";
import {OutputStore} from "../../src/output/OutputStore.js";
import {readOutput} from "../../src/output/readOutput.js";
import {OutputWriteError} from "../../src/output/outputErrors.js";
import type {OutputFormat} from "../../src/output/OutputRow.js";
import {IDENTITY, annotated, failed, tempDir} from "./helpers.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("what a killed run leaves behind", () => {
    test("open removes *.tmp files and shard files the manifest does not list, keeps the rest, and resumes exactly", async () => {
        const dir = tempDir();
        const store = await OutputStore.open({dir, identity: IDENTITY, format: "parquet"});
        await store.add(annotated(0));
        await store.fail(failed(1));
        await store.commit();
        await store.close();
        // a run killed during its second commit: shard temp files, renamed shards without a manifest entry, manifest temp
        const leftovers = [
            "data/part-00001.parquet.tmp",
            "data/part-00001.parquet",
            "errors/part-00001.jsonl",
            "errors/part-00002.jsonl.tmp",
            "manifest.json.tmp",
            "data/part-00002.parquet",
            "manifest.prev.json.tmp"
        ];
        for (const file of leftovers) fs.writeFileSync(path.join(dir, file), "partial");
        fs.writeFileSync(path.join(dir, "data", "README.md"), "user file");
        fs.writeFileSync(path.join(dir, "notes.txt"), "user file");

        const resumed = await OutputStore.open({dir, identity: IDENTITY, format: "parquet"});
        for (const file of leftovers) expect(fs.existsSync(path.join(dir, file)), file).toBe(false);
        expect(fs.existsSync(path.join(dir, "data", "README.md"))).toBe(true);
        expect(fs.existsSync(path.join(dir, "notes.txt"))).toBe(true);
        expect(await resumed.committedIdx()).toEqual(new Set([0, 1]));
        await resumed.add(annotated(2));
        await resumed.commit();
        await resumed.close();
        const out = await readOutput(dir);
        expect(out.rows.map((row) => row.idx)).toEqual([0, 2]);
        expect(out.errors.map((row) => row.idx)).toEqual([1]);
        expect(out.manifest.shards.map((shard) => shard.data?.file)).toEqual(["data/part-00000.parquet", "data/part-00001.parquet"]);
    });

    test("a disk-full error surfaces as OutputWriteError naming the file; nothing partial is committed and a retry works", async () => {
        const dir = tempDir();
        const store = await OutputStore.open({dir, identity: IDENTITY});
        await store.add(annotated(0));
        await store.commit();
        await store.add(annotated(1));
        await store.fail(failed(2));
        // the next data shard's temp file lands on a full device
        fs.symlinkSync("/dev/full", path.join(dir, "data", "part-00001.jsonl.tmp"));
        const error = await store.commit().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OutputWriteError);
        expect((error as Error).message).toMatch(
            new RegExp(`^could not write ${dir}/data/part-00001\\.jsonl \\(ENOSPC: no space left on device.*\\); nothing of this shard was committed`)
        );
        expect(store.stats).toEqual({committedRows: 1, committedErrors: 0, shards: 1});
        expect(fs.readdirSync(path.join(dir, "data"))).toEqual(["part-00000.jsonl"]);
        expect(store.bufferedRows).toBe(2);
        // a failing error shard removes the data shard already written for the same commit
        fs.writeFileSync(path.join(dir, "errors"), "not a dir");
        await expect(store.commit()).rejects.toThrow(/could not write .*errors\/part-00001\.jsonl \(E/);
        expect(fs.readdirSync(path.join(dir, "data"))).toEqual(["part-00000.jsonl"]);
        fs.rmSync(path.join(dir, "errors"));
        await store.commit();
        await store.close();
        const out = await readOutput(dir);
        expect(out.rows.map((row) => row.idx)).toEqual([0, 1]);
        expect(out.errors.map((row) => row.idx)).toEqual([2]);
    });
});

/** Transpile src/output, src/json and src/files (and their imports) to plain ESM in `target`, so a child node process can run it. */
function transpileOutputModule(target: string): void {
    const files = [
        path.join("src", "AirlabelError.ts"),
        ...["output", "json", "files"].flatMap((folder) =>
            fs
                .readdirSync(path.join(repoRoot, "src", folder))
                .filter((name) => name.endsWith(".ts"))
                .map((name) => path.join("src", folder, name))
        )
    ];
    for (const file of files) {
        const source = fs.readFileSync(path.join(repoRoot, file), "utf8");
        const {outputText} = ts.transpileModule(source, {compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022}});
        const out = path.join(target, file.replace(/\.ts$/, ".js"));
        fs.mkdirSync(path.dirname(out), {recursive: true});
        fs.writeFileSync(out, outputText);
    }
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(target, "node_modules"));
}

const CHILD = `
import {OutputStore} from "./src/output/OutputStore.js";
const [dir, total, format] = process.argv.slice(2);
const store = await OutputStore.open({dir, format, identity: {run: "kill-test"}, shardSize: 7});
const done = await store.committedIdx();
for (let idx = 0; idx < Number(total); idx++) {
    if (done.has(idx)) continue;
    if (idx % 5 === 3) await store.fail({idx, stage: "generate", reason: "boom", response: null, finishReason: null, attempts: 2, model: "m"});
    else await store.add({idx, columns: {text: "row " + idx}, annotation: {n: idx}, finishReason: "stop", promptTokens: 1, completionTokens: 2, attempts: 1, model: "m"});
}
await store.markComplete({total: Number(total)});
await store.close();
`;

function manifestShards(dir: string): number {
    try {
        return (JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as {shards: unknown[]}).shards.length;
    } catch {
        return 0;
    }
}

/** Run the child until the manifest has `killAfter` more shards, then SIGKILL it; resolves with its exit code (null when killed). */
function runChild(root: string, dir: string, total: number, format: OutputFormat, killAfter: number | undefined): Promise<number | null> {
    const start = manifestShards(dir);
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(root, "child.mjs"), dir, String(total), format], {stdio: ["ignore", "ignore", "pipe"]});
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timer =
            killAfter === undefined
                ? undefined
                : setInterval(() => {
                      if (manifestShards(dir) >= start + killAfter) child.kill("SIGKILL");
                  }, 2);
        child.on("error", reject);
        child.on("exit", (code) => {
            clearInterval(timer);
            if (code !== null && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
            else resolve(code);
        });
    });
}

describe.each(["jsonl", "parquet"] as OutputFormat[])("SIGKILL in the middle of many commits (%s)", (format) => {
    test("every row ends up committed exactly once after kills and resumes", async () => {
        const root = tempDir();
        transpileOutputModule(root);
        fs.writeFileSync(path.join(root, "child.mjs"), CHILD);
        const dir = path.join(root, "out");
        const total = 400;
        let kills = 0;
        for (const killAfter of [3, 5, 2, 8]) {
            const code = await runChild(root, dir, total, format, killAfter);
            if (code === null) kills++;
            // after each kill, the committed state is consistent and readable by another process
            const out = await readOutput(dir);
            const seen = [...out.rows, ...out.errors].map((row) => row.idx as number);
            expect(new Set(seen).size).toBe(seen.length);
        }
        expect(kills).toBeGreaterThan(0);
        expect(await runChild(root, dir, total, format, undefined)).toBe(0);

        const out = await readOutput(dir);
        expect(out.manifest.complete).toBe(true);
        const expectedErrors = Array.from({length: total}, (_, idx) => idx).filter((idx) => idx % 5 === 3);
        expect(out.errors.map((row) => row.idx)).toEqual(expectedErrors);
        expect(out.rows.map((row) => row.idx)).toEqual(Array.from({length: total}, (_, idx) => idx).filter((idx) => idx % 5 !== 3));
        for (const row of out.rows) expect(row.annotation).toEqual({n: row.idx});
        const files = [...fs.readdirSync(path.join(dir, "data")), ...fs.readdirSync(path.join(dir, "errors")), ...fs.readdirSync(dir)];
        expect(files.filter((name) => name.endsWith(".tmp"))).toEqual([]);
        expect(fs.existsSync(path.join(dir, ".airlabel.lock"))).toBe(false);
    });
});
