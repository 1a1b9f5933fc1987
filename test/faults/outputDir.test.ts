import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {lockOutputDir} from "../../src/output/openOutputDir.js";
import {tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, stderrLines, type FaultJob} from "./harness.js";

let job: FaultJob;
beforeAll(async () => {
    job = await faultJob(12);
});

describe("the output dir is taken before anything is written into it", () => {
    test("a cache/ that is a symbolic link out of the output dir: refused in one line; nothing there written or removed", async () => {
        const root = tempDir();
        const outside = path.join(root, "elsewhere");
        fs.mkdirSync(outside);
        fs.writeFileSync(path.join(outside, "prepared-abc.json.999999.tmp"), "not airlabel's");
        fs.mkdirSync(path.join(outside, "prepared-abc.999999.tmp"));
        const output = path.join(root, "out");
        fs.mkdirSync(output);
        fs.symlinkSync(outside, path.join(output, "cache"));
        const run = await runAirlabel(job.args(output, "-q"));
        expect(run.code, run.stderr).toBe(1);
        expect(stderrLines(run)).toEqual([
            `airlabel: ${output}/cache is a symbolic link; airlabel writes only real directories inside the output dir: remove ${output}/cache, or use another --output`
        ]);
        expect(fs.readdirSync(outside).sort()).toEqual(["prepared-abc.999999.tmp", "prepared-abc.json.999999.tmp"]);
    });

    test("a run refused by the lock has written nothing into the locked dir (no prepared cache)", async () => {
        const output = path.join(tempDir(), "out");
        const lock = await lockOutputDir(output);
        try {
            const run = await runAirlabel(job.args(output, "-q"));
            expect(run.code, run.stderr).toBe(1);
            expect(stderrLines(run)).toEqual([expect.stringMatching(/^airlabel: output dir .* is in use by process \d+ /u)]);
            expect(fs.readdirSync(output)).toEqual([".airlabel.lock"]);
        } finally {
            await lock.release();
        }
        const prepare = await runAirlabel([
            "prepare",
            ...job
                .args(output)
                .slice(1)
                .filter(
                    (arg, i, all) =>
                        !["--choices", "--shard-size", "--parallel", "--gpu"].includes(arg) &&
                        !["--choices", "--shard-size", "--parallel", "--gpu"].includes(all[i - 1] ?? "")
                )
        ]);
        expect(prepare.code, prepare.stderr).toBe(0);
        expect(fs.readdirSync(output)).toEqual(["cache"]);
    });

    test("both manifests deleted with shards left in data/: refused in one line, the shards stay", async () => {
        const output = path.join(tempDir(), "out");
        const done = await runAirlabel(job.args(output, "-q"));
        expect(done.code, done.stderr).toBe(0);
        const before = fs.readdirSync(path.join(output, "data")).sort();
        fs.rmSync(path.join(output, "manifest.json"));
        fs.rmSync(path.join(output, "manifest.prev.json"));
        const run = await runAirlabel(job.args(output, "-q"));
        expect(run.code, run.stderr).toBe(1);
        expect(stderrLines(run)).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^airlabel: ${output}/data/ holds ${before.length} shard files \\(data/part-00000\\.jsonl, \\.\\.\\.\\) but there is no manifest\\.json or manifest\\.prev\\.json saying what they hold; restore the manifest, or re-run with --overwrite to start over, or use another --output$`,
                    "u"
                )
            )
        ]);
        expect(fs.readdirSync(path.join(output, "data")).sort()).toEqual(before);
    });

    test("a disk still full at resume: free space and re-run, not another --output; then it resumes", async () => {
        const output = path.join(tempDir(), "out");
        const first = await runAirlabel(job.args(output), {crashAt: "shards-renamed:2"});
        expect(first.signal, first.stderr).toBe("SIGKILL");
        const before = await checkInvariants(output, job.inputIdx);
        const full = await runAirlabel(job.args(output, "-q"), {fileSizeLimitKb: 0});
        expect(full.code, full.stderr).toBe(1);
        expect(stderrLines(full)).toEqual([`airlabel: output dir ${output}/ is not writable (EFBIG); free space and re-run the same command to resume`]);
        const resumed = await runAirlabel(job.args(output, "-q"));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect((await checkInvariants(output, job.inputIdx, {previous: before, settled: true})).complete).toBe(true);
    });
});
