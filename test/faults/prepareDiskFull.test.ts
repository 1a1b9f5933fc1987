import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, stderrLines} from "./harness.js";

// A full disk while the prepare stage writes its cache (rows spilled, window files), made with `ulimit -f`.
describe("disk full during prepare", () => {
    test("EFBIG while writing the prepared cache: exit 1, one line naming the cache and what to do, no stack, nothing left behind; the same command then runs", async () => {
        const job = await faultJob(24, {blobBytes: 4000, shardSize: 4});
        const output = path.join(tempDir(), "out");
        const full = await runAirlabel(job.args(output, "-q"), {fileSizeLimitKb: 32});
        expect(full.code, `${full.signal} ${full.stderr}`).toBe(1);
        const lines = stderrLines(full);
        expect(lines).toEqual([
            `airlabel: could not write the prepared rows to ${output}/cache/ (EFBIG: file too large, write); ` +
                "nothing was generated or committed: free space (or raise the file-size limit, ulimit -f) and re-run the same command"
        ]);
        expect(full.stderr).not.toMatch(/\n\s+at |unexpected error/u);
        // no spill files or half-written window folders left in cache/
        expect(fs.readdirSync(path.join(output, "cache"))).toEqual([]);
        const resumed = await runAirlabel(job.args(output, "-q"));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect((await checkInvariants(output, job.inputIdx, {settled: true})).complete).toBe(true);
    });
});
