import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, type FaultJob, type Snapshot} from "./harness.js";

// The crash points of the commit protocol (src/files/crashPoint.ts; the test preload kills the process there),
// taken in turn on one run: each kill is followed by a resume that is itself killed at the next point. `:2` is the
// second time the point is reached in that process (for the manifest points of the first process, the first is the
// run's empty manifest).
const points: {at: string; leaves: string}[] = [
    {at: "shard-mid-write:2", leaves: "half a shard temp file"},
    {at: "shard-before-rename:2", leaves: "a complete, fsynced shard temp file"},
    {at: "shard-after-rename:2", leaves: "a renamed shard the manifest does not name"},
    {at: "shards-renamed:2", leaves: "every file of a commit renamed, the manifest not updated"},
    {at: "manifest-mid-write:2", leaves: "half a manifest temp file"},
    {at: "manifest-before-rename:2", leaves: "a complete manifest temp file"},
    {at: "manifest-previous-kept:2", leaves: "manifest.prev.json replaced, the new manifest not yet renamed"},
    {at: "manifest-after-rename:2", leaves: "the commit done, the process not told"},
    {at: "store-opened:1", leaves: "the store opened, nothing generated"}
];

let job: FaultJob;
beforeAll(async () => {
    job = await faultJob(60);
});

describe("SIGKILL at each named crash point in turn, resuming each time", () => {
    test(`${points.length} crash points (${points.map((point) => point.at).join(", ")}): the invariants hold after each, the last resume completes, nothing committed is generated again`, async () => {
        const output = path.join(tempDir(), "out");
        let before: Snapshot | undefined;
        for (const {at, leaves} of points) {
            const crashLog = path.join(tempDir(), "points.log");
            const killed = await runAirlabel(job.args(output), {crashAt: at, crashLog});
            expect(killed.signal, `not killed at ${at}: ${killed.stderr}`).toBe("SIGKILL");
            expect(fs.readFileSync(crashLog, "utf8").trim().split("\n").at(-1), leaves).toBe(at.split(":")[0]);
            const shardsBefore = before?.shards.size ?? 0;
            before = await checkInvariants(output, job.inputIdx, before === undefined ? {} : {previous: before});
            if (at.startsWith("manifest-after-rename")) expect(before.shards.size, "the commit is durable").toBeGreaterThan(shardsBefore);
        }
        const resumed = await runAirlabel(job.args(output, "--json"));
        expect(resumed.code, resumed.stderr).toBe(0);
        const summary = JSON.parse(resumed.stdout) as {resumedRows: number; complete: boolean};
        expect(summary.complete).toBe(true);
        expect(summary.resumedRows).toBe(before!.idx.length);
        const after = await checkInvariants(output, job.inputIdx, {previous: before!, settled: true});
        expect(after.complete).toBe(true);
    });
});
