import path from "node:path";
import {describe, expect, test} from "vitest";
import {tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, stderrLines} from "./harness.js";

// A full disk, made with `ulimit -f` (the file-size limit: a write past it fails with EFBIG; node ignores SIGXFSZ).
// The run fails loudly in one line naming the file, commits nothing partial, and resumes once the space is back.
describe("disk full (ulimit -f)", () => {
    test.each([
        {what: "a data shard", blobBytes: 3000, limitKb: 8, file: /data\/part-\d{5}\.jsonl/u},
        {what: "the manifest", blobBytes: undefined, limitKb: 2, file: /manifest\.json/u}
    ])("while writing $what: exit 1, one line naming the file and EFBIG, nothing partial; the same command resumes", async ({blobBytes, limitKb, file}) => {
        const job = await faultJob(36, {...(blobBytes !== undefined ? {blobBytes} : {}), shardSize: 4});
        const output = path.join(tempDir(), "out");
        // a first run gets some shards committed (and the prepared cache written) before it is killed
        const first = await runAirlabel(job.args(output), {crashAt: "shards-renamed:3"});
        expect(first.signal, first.stderr).toBe("SIGKILL");
        const before = await checkInvariants(output, job.inputIdx);

        const full = await runAirlabel(job.args(output, "-q"), {fileSizeLimitKb: limitKb});
        expect(full.code, `${full.signal} ${full.stderr}`).toBe(1);
        const lines = stderrLines(full);
        expect(lines, full.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(
            new RegExp(
                `^airlabel: could not write ${output}/${file.source} \\(EFBIG: file too large, write\\); nothing of this shard was committed, fix the cause and re-run to resume$`,
                "u"
            )
        );
        const afterFull = await checkInvariants(output, job.inputIdx, {previous: before, settled: true});
        expect(afterFull.complete).toBe(false);

        const resumed = await runAirlabel(job.args(output, "--json"));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect((JSON.parse(resumed.stdout) as {resumedRows: number}).resumedRows).toBe(afterFull.idx.length);
        expect((await checkInvariants(output, job.inputIdx, {previous: afterFull, settled: true})).complete).toBe(true);
    });
});
