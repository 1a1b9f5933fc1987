import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {lockOutputDir} from "../../src/output/openOutputDir.js";
import {processStartTime} from "../../src/output/OutputLock.js";
import {OutputStore} from "../../src/output/OutputStore.js";
import {ManifestCorruptError, OutputDirError, OutputLockedError, unwritableDirMessage} from "../../src/output/outputErrors.js";
import {IDENTITY, annotated, failed, tempDir} from "./helpers.js";

const bootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();

function writeLock(dir: string, content: Record<string, unknown>): void {
    fs.writeFileSync(path.join(dir, ".airlabel.lock"), JSON.stringify({hostname: os.hostname(), startedAt: "2025-01-01T00:00:00.000Z", ...content}));
}

async function takesOver(dir: string): Promise<void> {
    const store = await OutputStore.open({dir, identity: IDENTITY});
    expect(JSON.parse(fs.readFileSync(path.join(dir, ".airlabel.lock"), "utf8"))).toMatchObject({
        pid: process.pid,
        bootId,
        pidStart: await processStartTime(process.pid)
    });
    await store.close();
}

describe("a stale lock whose pid is alive", () => {
    test("airlabel restarted with the pid its killed run had (PID 1 of a container): the pid is ours, its start time is not; taken over", async () => {
        const dir = tempDir();
        writeLock(dir, {pid: process.pid, bootId, pidStart: "1"});
        await takesOver(dir);
    });

    test("a pid reused by another process (started at another time), or a lock from before a reboot: taken over", async () => {
        const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {stdio: "ignore"});
        try {
            await new Promise((resolve) => child.once("spawn", resolve));
            const started = await processStartTime(child.pid!);
            expect(started).toMatch(/^\d+$/u);
            const dir = tempDir();
            writeLock(dir, {pid: child.pid, bootId, pidStart: String(Number(started) - 100)});
            await takesOver(dir);
            writeLock(dir, {pid: child.pid, bootId: "00000000-0000-0000-0000-000000000000", pidStart: started});
            await takesOver(dir);
            // the live owner itself (same pid, same start, same boot) keeps its lock, and the message says how to recover
            writeLock(dir, {pid: child.pid, bootId, pidStart: started});
            const error = await OutputStore.open({dir, identity: IDENTITY}).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(OutputLockedError);
            expect((error as Error).message).toBe(
                `output dir ${dir}/ is in use by process ${child.pid} (started 2025-01-01T00:00:00.000Z); wait for it to finish or use another --output; ` +
                    `if no airlabel run uses it (that process ended and its pid was reused), delete ${dir}/.airlabel.lock and re-run`
            );
        } finally {
            child.kill("SIGKILL");
        }
    });

    test("two opens in one process still exclude each other", async () => {
        const dir = tempDir();
        const lock = await lockOutputDir(dir);
        await expect(lockOutputDir(dir)).rejects.toBeInstanceOf(OutputLockedError);
        await lock.release();
    });
});

describe("writes stay inside the output dir", () => {
    test("a cache/ that is a symbolic link out of the output dir is refused before anything is written; a cache/ file is refused too", async () => {
        const root = tempDir();
        const outside = path.join(root, "elsewhere");
        fs.mkdirSync(outside);
        // what a prepare would have removed there as its own leftover
        fs.writeFileSync(path.join(outside, "prepared-abc.json.999999.tmp"), "not airlabel's");
        const dir = path.join(root, "out");
        fs.mkdirSync(dir);
        fs.symlinkSync(outside, path.join(dir, "cache"));
        const message = `${dir}/cache is a symbolic link; airlabel writes only real directories inside the output dir: remove ${dir}/cache, or use another --output`;
        await expect(lockOutputDir(dir)).rejects.toThrow(new OutputDirError(message));
        await expect(OutputStore.open({dir, identity: IDENTITY})).rejects.toThrow(message);
        expect(fs.readdirSync(outside)).toEqual(["prepared-abc.json.999999.tmp"]);
        expect(fs.existsSync(path.join(dir, ".airlabel.lock"))).toBe(false);
        fs.rmSync(path.join(dir, "cache"));
        fs.writeFileSync(path.join(dir, "cache"), "");
        await expect(lockOutputDir(dir)).rejects.toThrow(`${dir}/cache is not a directory; `);
    });
});

describe("shards without a manifest", () => {
    test("both manifests deleted while data/ and errors/ hold shards: refused like a corrupt manifest, nothing removed; --overwrite starts over", async () => {
        const dir = tempDir();
        const store = await OutputStore.open({dir, identity: IDENTITY});
        await store.add(annotated(0));
        await store.fail(failed(1));
        await store.commit();
        await store.close();
        fs.rmSync(path.join(dir, "manifest.json"));
        fs.rmSync(path.join(dir, "manifest.prev.json"), {force: true});
        const error = await OutputStore.open({dir, identity: IDENTITY}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ManifestCorruptError);
        expect((error as Error).message).toBe(
            `${dir}/data/ holds 1 shard file (data/part-00000.jsonl) but there is no manifest.json or manifest.prev.json saying what they hold; ` +
                "restore the manifest, or re-run with --overwrite to start over, or use another --output"
        );
        expect(fs.readdirSync(path.join(dir, "data"))).toEqual(["part-00000.jsonl"]);
        expect(fs.readdirSync(path.join(dir, "errors"))).toEqual(["part-00000.jsonl"]);
        const fresh = await OutputStore.open({dir, identity: IDENTITY, overwrite: true});
        expect(fresh.stats.shards).toBe(0);
        await fresh.close();
    });
});

describe("a full disk", () => {
    test("says free space and re-run (the committed rows are worth resuming), not another --output", () => {
        const full = Object.assign(new Error("ENOSPC: no space left on device, open"), {code: "ENOSPC"});
        expect(unwritableDirMessage("out/", full)).toBe("output dir out/ is not writable (ENOSPC); free space and re-run the same command to resume");
        const denied = Object.assign(new Error("EACCES: permission denied"), {code: "EACCES"});
        expect(unwritableDirMessage("out/", denied)).toBe("output dir out/ is not writable (EACCES); choose another --output");
    });
});

describe("an output written by an older airlabel", () => {
    test("its model fingerprint (first and last MiB) cannot be checked against the full sha256: the refusal says so rather than 'a different model'", async () => {
        const dir = tempDir();
        await (await OutputStore.open({dir, identity: {...IDENTITY, model: "m.gguf:1234:0123456789abcdef"}})).close();
        await expect(OutputStore.open({dir, identity: {...IDENTITY, model: "m.gguf:1234:sha256:fedcba9876543210"}})).rejects.toThrow(
            `output dir ${dir}/ holds a run with a different model fingerprint (written by an older airlabel from the model's first and last MiB; now the sha256 of all of it, which cannot be checked against that); re-run with --overwrite to start over, or use another --output`
        );
    });
});
