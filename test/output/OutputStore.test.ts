import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, describe, expect, test} from "vitest";
import {OutputStore} from "../../src/output/OutputStore.js";
import {readOutput} from "../../src/output/readOutput.js";
import {
    ManifestCorruptError,
    OutputDirError,
    OutputLockedError,
    OutputNotFoundError,
    RunIdentityMismatchError,
    ShardCorruptError
} from "../../src/output/outputErrors.js";
import {IDENTITY, annotated, failed, tempDir} from "./helpers.js";

const opened: OutputStore[] = [];
async function open(options: Parameters<typeof OutputStore.open>[0]): Promise<OutputStore> {
    const store = await OutputStore.open(options);
    opened.push(store);
    return store;
}
afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
});

function deadPid(): number {
    const child = spawnSync(process.execPath, ["-e", ""]);
    return child.pid!;
}

describe("commit and resume", () => {
    test("committed rows survive reopen; committedIdx holds data and error idx; buffered rows are not committed by close", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY, shardSize: 100});
        await store.add(annotated(5));
        await store.fail(failed(2));
        await store.add(annotated(0));
        await store.commit();
        await store.add(annotated(7)); // buffered only
        expect(store.stats).toEqual({committedRows: 2, committedErrors: 1, shards: 1});
        await store.close();

        const again = await open({dir, identity: IDENTITY});
        expect([...(await again.committedIdx())].sort((a, b) => a - b)).toEqual([0, 2, 5]);
        expect(again.stats).toEqual({committedRows: 2, committedErrors: 1, shards: 1});
        await again.add(annotated(7));
        await again.commit();
        expect([...(await again.committedIdx())].sort((a, b) => a - b)).toEqual([0, 2, 5, 7]);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
        expect(manifest.shards.map((shard: {seq: number; data: {file: string}}) => [shard.seq, shard.data.file])).toEqual([
            [0, "data/part-00000.jsonl"],
            [1, "data/part-00001.jsonl"]
        ]);
    });

    test("add/fail commit a shard every shardSize rows (data + errors) and wait for it", async () => {
        const dir = tempDir();
        const store = await open({dir, format: "parquet", identity: IDENTITY, shardSize: 3});
        const pending: Promise<void>[] = [];
        for (let idx = 0; idx < 8; idx++) pending.push(idx % 4 === 3 ? store.fail(failed(idx)) : store.add(annotated(idx)));
        await Promise.all(pending);
        expect(store.stats).toEqual({committedRows: 5, committedErrors: 1, shards: 2}); // 0,1,2 | 3(failed),4,5
        expect(store.bufferedRows).toBe(2);
        const manifest = store.manifest;
        expect(manifest.shards.map((shard) => shard.rows)).toEqual([3, 3]);
        expect(manifest.shards[0]!.errors).toBeNull(); // rows 0,1,2
        expect(manifest.shards[1]!.errors!.rows).toBe(1); // row 3 failed
        await store.markComplete({rows: 8});
        const out = await readOutput(dir);
        expect(out.rows.map((row) => row.idx)).toEqual([0, 1, 2, 4, 5, 6]);
        expect(out.errors.map((row) => row.idx)).toEqual([3, 7]);
        expect(out.manifest.complete).toBe(true);
        expect(out.manifest.summary).toEqual({rows: 8});
    });

    test("manifest records identity, meta, format and each shard's file, rows, sha256 and bytes", async () => {
        const dir = tempDir();
        const store = await open({dir, format: "arrow", identity: IDENTITY, meta: {airlabel: "0.1.0", parallel: 2}});
        await store.add(annotated(0));
        await store.commit();
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
        expect(manifest).toMatchObject({
            format: "airlabel-manifest",
            version: 1,
            outputFormat: "arrow",
            identity: IDENTITY,
            meta: {airlabel: "0.1.0", parallel: 2},
            complete: false
        });
        const data = manifest.shards[0].data;
        expect(data.file).toBe("data/part-00000.arrow");
        expect(data.rows).toBe(1);
        expect(data.bytes).toBe(fs.statSync(path.join(dir, data.file)).size);
        expect(data.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(manifest.shards[0].errors).toBeNull();
    });
});

describe("run identity", () => {
    test("a different identity is refused, naming every differing part with short values", async () => {
        const dir = tempDir();
        await (await open({dir, identity: IDENTITY})).close();
        const changed = {...IDENTITY, template: "5e6f7a8b".repeat(8), schema: "e".repeat(64)};
        const error = await OutputStore.open({dir, identity: changed}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RunIdentityMismatchError);
        const message = (error as Error).message;
        expect(message).toBe(
            `output dir ${dir}/ holds a run with a different template (was 1a2b3c4d, now 5e6f7a8b) and schema (was cccccccc, now eeeeeeee); re-run with --overwrite to start over, or use another --output`
        );
    });

    test("a different output format is refused", async () => {
        const dir = tempDir();
        await (await open({dir, identity: IDENTITY, format: "jsonl"})).close();
        await expect(OutputStore.open({dir, identity: IDENTITY, format: "parquet"})).rejects.toThrow(/different format \(was jsonl, now parquet\)/);
    });

    test("overwrite deletes the previous run's shards and manifest, and keeps other files", async () => {
        const dir = tempDir();
        const first = await open({dir, identity: IDENTITY});
        await first.add(annotated(0));
        await first.fail(failed(1));
        await first.commit();
        await first.close();
        fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
        const store = await open({dir, identity: {...IDENTITY, model: "f".repeat(64)}, format: "parquet", overwrite: true});
        expect(await store.committedIdx()).toEqual(new Set());
        expect(fs.readdirSync(path.join(dir, "data"))).toEqual([]);
        expect(fs.readdirSync(path.join(dir, "errors"))).toEqual([]);
        expect(fs.readFileSync(path.join(dir, "notes.txt"), "utf8")).toBe("mine");
        await store.add(annotated(3));
        await store.commit();
        const out = await readOutput(dir);
        expect(out.rows.map((row) => row.idx)).toEqual([3]);
        expect(out.manifest.identity.model).toBe("f".repeat(64));
    });
});

describe("lock", () => {
    test("a second open of a dir in use by a live process is refused; close releases; close twice is fine", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY});
        const error = await OutputStore.open({dir, identity: IDENTITY}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OutputLockedError);
        expect((error as Error).message).toMatch(
            new RegExp(
                `^output dir ${dir}/ is in use by process ${process.pid} \\(started \\d{4}-.*\\); wait for it to finish or use another --output; if no airlabel run uses it \\(that process ended and its pid was reused\\), delete ${dir}/\\.airlabel\\.lock and re-run$`
            )
        );
        const lock = JSON.parse(fs.readFileSync(path.join(dir, ".airlabel.lock"), "utf8"));
        expect(lock).toEqual({
            pid: process.pid,
            hostname: os.hostname(),
            startedAt: expect.any(String),
            bootId: expect.stringMatching(/^[0-9a-f-]{36}$/),
            pidStart: expect.stringMatching(/^\d+$/)
        });
        await store.close();
        await store.close();
        expect(fs.existsSync(path.join(dir, ".airlabel.lock"))).toBe(false);
        await (await open({dir, identity: IDENTITY})).close();
    });

    test("a lock held by another live process is refused", async () => {
        const dir = tempDir();
        const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {stdio: "ignore"});
        try {
            fs.writeFileSync(
                path.join(dir, ".airlabel.lock"),
                JSON.stringify({pid: child.pid, hostname: os.hostname(), startedAt: "2025-01-01T00:00:00.000Z"})
            );
            await expect(OutputStore.open({dir, identity: IDENTITY})).rejects.toThrow(
                `output dir ${dir}/ is in use by process ${child.pid} (started 2025-01-01T00:00:00.000Z); wait for it to finish or use another --output; ` +
                    `if no airlabel run uses it (that process ended and its pid was reused), delete ${dir}/.airlabel.lock and re-run`
            );
        } finally {
            child.kill("SIGKILL");
        }
    });

    test("a stale lock of a dead process on this host is taken over", async () => {
        const dir = tempDir();
        const pid = deadPid();
        fs.writeFileSync(path.join(dir, ".airlabel.lock"), JSON.stringify({pid, hostname: os.hostname(), startedAt: "2025-01-01T00:00:00.000Z"}));
        const store = await open({dir, identity: IDENTITY});
        expect(JSON.parse(fs.readFileSync(path.join(dir, ".airlabel.lock"), "utf8")).pid).toBe(process.pid);
        await store.close();
    });

    test("a lock of another host is refused and says how to clear it", async () => {
        const dir = tempDir();
        fs.writeFileSync(path.join(dir, ".airlabel.lock"), JSON.stringify({pid: 1, hostname: "other-host.invalid", startedAt: "2025-01-01T00:00:00.000Z"}));
        await expect(OutputStore.open({dir, identity: IDENTITY})).rejects.toThrow(/in use by process 1 on host other-host.invalid .*delete .*\.airlabel\.lock/);
    });
});

describe("damaged output dirs", () => {
    test("a manifest truncated by a few bytes falls back to the commit before it; with no intact previous manifest it is a one-line ManifestCorruptError suggesting --overwrite", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY});
        await store.add(annotated(0));
        await store.commit();
        await store.add(annotated(1));
        await store.commit();
        await store.close();
        const file = path.join(dir, "manifest.json");
        fs.truncateSync(file, fs.statSync(file).size - 5);
        const lines: string[] = [];
        const recovered = await open({dir, identity: IDENTITY, onLog: (line) => lines.push(line)});
        expect(lines).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^${dir}/manifest\\.json is corrupt \\(.+\\); recovered the commit before it from manifest\\.prev\\.json \\(rows committed after it are generated again\\)$`
                )
            )
        ]);
        expect(await recovered.committedIdx()).toEqual(new Set([0]));
        expect(fs.readdirSync(path.join(dir, "data"))).toEqual(["part-00000.jsonl"]);
        await recovered.close();

        fs.truncateSync(file, fs.statSync(file).size - 5);
        fs.appendFileSync(path.join(dir, "manifest.prev.json"), Buffer.alloc(16));
        const error = await OutputStore.open({dir, identity: IDENTITY}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ManifestCorruptError);
        const message = (error as Error).message;
        expect(message).not.toContain("\n");
        expect(message).toMatch(
            new RegExp(
                `^${dir}/manifest\\.json is corrupt \\(.+\\), and neither is the manifest\\.prev\\.json to recover from; re-run with --overwrite to start over, or use another --output$`
            )
        );
        await expect(readOutput(dir)).rejects.toBeInstanceOf(ManifestCorruptError);
        // the failed open released its lock, and --overwrite recovers
        const fresh = await open({dir, identity: IDENTITY, overwrite: true});
        expect(fresh.stats.shards).toBe(0);
        expect(fs.existsSync(path.join(dir, "manifest.prev.json"))).toBe(false);
    });

    test("a committed shard whose bytes changed, or that is gone, gives ShardCorruptError naming it", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY, format: "parquet"});
        await store.add(annotated(0));
        await store.fail(failed(1));
        await store.commit();
        const shard = path.join(dir, "data", "part-00000.parquet");
        const bytes = fs.readFileSync(shard);
        bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0xff;
        fs.writeFileSync(shard, bytes);
        await expect(store.committedIdx()).rejects.toThrow(
            `committed shard ${dir}/data/part-00000.parquet was modified (its sha256 differs from manifest.json); re-run the same airlabel run command to generate its rows again`
        );
        await expect(readOutput(dir)).rejects.toBeInstanceOf(ShardCorruptError);
        fs.rmSync(path.join(dir, "errors", "part-00000.jsonl"));
        fs.rmSync(shard);
        await expect(store.committedIdx()).rejects.toThrow(/committed shard .*data\/part-00000\.parquet is missing/);
    });

    test("a resume reads each committed shard once: open checks it and keeps its idx for committedIdx, which reads only the shards committed since", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY, format: "parquet", shardSize: 100});
        await store.add(annotated(3));
        await store.fail(failed(1));
        await store.commit();
        await store.close();

        const resumed = await open({dir, identity: IDENTITY, format: "parquet", shardSize: 100});
        await resumed.add(annotated(4));
        await resumed.commit();
        // bytes changed after open checked them: the first committedIdx answers from that check, it does not read them again
        const shard = path.join(dir, "data", "part-00000.parquet");
        const bytes = fs.readFileSync(shard);
        bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0xff;
        fs.writeFileSync(shard, bytes);
        expect([...(await resumed.committedIdx())].sort((a, b) => a - b)).toEqual([1, 3, 4]);
        // any later call reads every shard file again
        await expect(resumed.committedIdx()).rejects.toThrow(
            `committed shard ${dir}/data/part-00000.parquet was modified (its sha256 differs from manifest.json); re-run the same airlabel run command to generate its rows again`
        );
        await resumed.close();
        // the next open checks them again: the changed shard is moved aside, the one committed since is kept
        const lines: string[] = [];
        const again = await open({dir, identity: IDENTITY, format: "parquet", onLog: (line) => lines.push(line)});
        expect(lines).toEqual([expect.stringMatching(/^committed shard .*data\/part-00000\.parquet was modified .*its 2 rows will be generated again/)]);
        expect(await again.committedIdx()).toEqual(new Set([4]));
    });

    test("an output dir that cannot be created gives OutputDirError", async () => {
        const parent = tempDir();
        fs.writeFileSync(path.join(parent, "file"), "x");
        const dir = path.join(parent, "file", "out");
        await expect(OutputStore.open({dir, identity: IDENTITY})).rejects.toThrow(
            new OutputDirError(`output dir ${dir}/ is not writable (ENOTDIR); choose another --output`)
        );
    });

    test("readOutput of a dir without a manifest gives OutputNotFoundError", async () => {
        await expect(readOutput(tempDir())).rejects.toBeInstanceOf(OutputNotFoundError);
    });
});

describe("row keys and replaced rows", () => {
    const key = (idx: number, content = "c0") => ({key: `k${idx}`, content});

    test("each commit records its rows' keys; a row added again for a committed idx replaces it for every reader", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY, shardSize: 100});
        await store.add({...annotated(0), rowKey: key(0)});
        await store.fail({...failed(1), rowKey: key(1)});
        await store.commit();
        await store.close();
        expect(fs.readFileSync(path.join(dir, "keys", "part-00000.jsonl"), "utf8")).toBe(
            '{"idx":0,"key":"k0","content":"c0"}\n{"idx":1,"key":"k1","content":"c0"}\n'
        );
        const again = await open({dir, identity: IDENTITY});
        const committed = await again.committedRows();
        expect(committed).toEqual({
            all: new Set([0, 1]),
            failed: new Set([1]),
            keys: new Map([
                ["k0", {idx: 0, content: "c0"}],
                ["k1", {idx: 1, content: "c0"}]
            ])
        });
        // the failed row answered now, the answered one answered again from new content
        await again.add({...annotated(1), rowKey: key(1)});
        await again.add({...annotated(0), annotation: {label: "new"}, rowKey: key(0, "c1")});
        await again.commit();
        expect(again.stats).toEqual({committedRows: 2, committedErrors: 0, shards: 2});
        expect(again.manifest.shards[1]!.replaced).toEqual({data: 1, errors: 1});
        const contents = await readOutput(dir);
        expect(contents.rows.map((row) => [row.idx, row.annotation])).toEqual([
            [0, {label: "new"}],
            [1, annotated(1).annotation]
        ]);
        expect(contents.errors).toEqual([]);
        expect((await again.committedRows()).keys!.get("k0")).toEqual({idx: 0, content: "c1"});
    });

    test("a commit without keys (an older airlabel's) makes the keys unknown; a damaged keys file sets its commit aside like a damaged shard", async () => {
        const dir = tempDir();
        const store = await open({dir, identity: IDENTITY, shardSize: 100});
        await store.add(annotated(0));
        await store.commit();
        await store.add({...annotated(1), rowKey: key(1)});
        await store.commit();
        expect((await store.committedRows()).keys).toBeNull();
        await store.close();
        fs.writeFileSync(path.join(dir, "keys", "part-00001.jsonl"), '{"idx":1,"key":"kX","content":"c0"}\n');
        const warnings: string[] = [];
        const again = await open({dir, identity: IDENTITY, onLog: (line) => warnings.push(line)});
        expect(warnings).toEqual([
            expect.stringMatching(/^committed shard .*keys\/part-00001\.jsonl (was modified|has \d+ bytes).*; its 1 row will be generated again/u)
        ]);
        expect(await again.committedIdx()).toEqual(new Set([0]));
    });
});
