import fs from "node:fs";
import path from "node:path";
import type {ChildProcess} from "node:child_process";
import {beforeAll, describe, expect, test} from "vitest";
import {generatedModel, tempDir, writeJsonl} from "../support/fixtures.js";
import {ENGINE_READY, checkInvariants, faultJob, runAirlabel, stderrLines, type FaultJob, type RunResult, type Snapshot} from "./harness.js";

let job: FaultJob;
beforeAll(async () => {
    // enough rows at parallel 1 that the run is still generating when the signal comes
    job = await faultJob(400, {parallel: 1, shardSize: 5});
});

/** Start the job on `output`; once it generates, call `whileRunning` with the child, then wait for it to end. */
async function runAndInterrupt(output: string, whileRunning: (child: ChildProcess) => Promise<void>): Promise<RunResult> {
    let child: ChildProcess | undefined;
    let ready: () => void = () => {};
    const generating = new Promise<void>((resolve) => {
        ready = resolve;
    });
    const done = runAirlabel(job.args(output), {
        onSpawn: (spawned) => {
            child = spawned;
            let stderr = "";
            spawned.stderr?.on("data", (chunk: Buffer) => {
                stderr += chunk.toString();
                if (ENGINE_READY.test(stderr)) ready();
            });
        }
    });
    await Promise.race([generating, done]);
    await whileRunning(child!);
    return await done;
}

describe("a second process on the same output dir, SIGINT and SIGTERM", () => {
    test("the second process is refused naming the holder's pid; SIGINT then SIGTERM stop gracefully (exit 130, finished rows committed, how to resume); the same command completes", async () => {
        const output = path.join(tempDir(), "out");
        let second: RunResult | undefined;
        const interrupted = await runAndInterrupt(output, async (child) => {
            second = await runAirlabel(job.args(output, "-q"));
            child.kill("SIGINT");
        });
        expect(second!.code).toBe(1);
        expect(stderrLines(second!)).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^airlabel: output dir ${output}/ is in use by process ${interrupted.pid} \\(started [0-9T:.Z-]+\\); wait for it to finish or use another --output; if no airlabel run uses it \\(that process ended and its pid was reused\\), delete ${output}/\\.airlabel\\.lock and re-run$`,
                    "u"
                )
            )
        ]);
        let before: Snapshot | undefined;
        for (const [signal, result] of [
            ["SIGINT", interrupted],
            ["SIGTERM", undefined]
        ] as const) {
            const run =
                result ??
                (await runAndInterrupt(output, async (child) => {
                    child.kill(signal);
                }));
            expect(run.code, run.stderr).toBe(130);
            expect(run.stderr).toContain(`airlabel: ${signal}: finishing the rows in flight and committing them; re-run the same command to resume`);
            expect(stderrLines(run).at(-1)).toBe("airlabel: resume: re-run the same command");
            expect(run.stderr).toMatch(/airlabel: stopped: \d+ answered, \d+ failed, \d+ already committed, of 400 rows/u);
            before = await checkInvariants(output, job.inputIdx, {settled: true, ...(before !== undefined ? {previous: before} : {})});
            expect(before.complete).toBe(false);
            expect(fs.existsSync(path.join(output, ".airlabel.lock"))).toBe(false);
        }
        const resumed = await runAirlabel(job.args(output, "--json"));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect((JSON.parse(resumed.stdout) as {resumedRows: number}).resumedRows).toBe(before!.idx.length);
        expect((await checkInvariants(output, job.inputIdx, {previous: before!, settled: true})).complete).toBe(true);
    });

    test("a second SIGINT ends the run at once by the signal itself (status 130, no abort while decodes run); committed shards stay, the same command completes", async () => {
        // rows long enough (256 forced tokens) that the second signal surely comes while the rows in flight decode
        const model = await generatedModel(10_000_000);
        const rows = Array.from({length: 24}, (_, i) => ({text: `story ${i}:`}));
        const input = writeJsonl(path.join(tempDir(), "long.jsonl"), rows);
        const output = path.join(tempDir(), "out");
        const args = [
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "-p",
            "{text}",
            "--max-tokens",
            "256",
            "--ignore-eos",
            "--context-size",
            "512",
            "--parallel",
            "4",
            "--shard-size",
            "2",
            "--gpu",
            "cpu"
        ];
        let stderr = "";
        const interrupted = await runAirlabel(args, {
            onSpawn: (child) => {
                child.stderr?.on("data", (chunk: Buffer) => {
                    const before = stderr;
                    stderr += chunk.toString();
                    if (!ENGINE_READY.test(before) && ENGINE_READY.test(stderr)) setTimeout(() => child.kill("SIGINT"), 300);
                    if (!before.includes("SIGINT: finishing") && stderr.includes("SIGINT: finishing")) child.kill("SIGINT");
                });
            }
        });
        // the process dies by SIGINT (a shell reports 130); process.exit() used to tear the workers down mid-decode
        // and abort with "terminate called after throwing an instance of 'Napi::Error'" (SIGABRT)
        expect(interrupted.signal, interrupted.stderr).toBe("SIGINT");
        expect(interrupted.stderr).not.toMatch(/terminate called|Aborted|core dumped/u);
        expect(stderrLines(interrupted).at(-1)).toBe("airlabel: SIGINT again: exiting now; committed shards are kept, re-run the same command to resume");
        const inputIdx = rows.map((_, i) => i);
        const before = await checkInvariants(output, inputIdx);
        expect(before.complete).toBe(false);
        const resumed = await runAirlabel([...args, "--json"]);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect((await checkInvariants(output, inputIdx, {previous: before, settled: true})).complete).toBe(true);
    });
});
