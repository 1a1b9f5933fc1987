import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";
import {tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, stderrLines, type FaultJob, type Snapshot} from "./harness.js";

let job: FaultJob;
let output: string;
let finished: Snapshot;
beforeAll(async () => {
    job = await faultJob(12);
    output = path.join(tempDir(), "out");
    const run = await runAirlabel(job.args(output, "-q"));
    expect(run.code, run.stderr).toBe(0);
    finished = await checkInvariants(output, job.inputIdx, {settled: true});
});

/** The job's args with the value after `flag` replaced. */
function withFlag(args: string[], flag: string, value: string): string[] {
    const copy = [...args];
    copy[copy.indexOf(flag) + 1] = value;
    return copy;
}

describe("template, schema or model changed between runs (a grown input goes on: test/pipeline/incremental.test.ts)", () => {
    test.each([
        {changed: "template", change: async (args: string[]) => withFlag(args, "-p", "Label that: {text}")},
        {changed: "schema", change: async (args: string[]) => withFlag(args, "--choices", "good,bad,meh")},
        {
            changed: "model",
            change: async (args: string[]) => {
                const model = path.join(tempDir(), "other.gguf");
                await writeLlamaGguf({path: model, parameters: 1_000_000, type: "q8_0", seed: 8});
                return withFlag(args, "-m", model);
            }
        }
    ])("$changed: refused in one line naming what changed; the output is untouched", async ({changed, change}) => {
        const run = await runAirlabel(await change(job.args(output, "-q")));
        expect(run.code, run.stderr).toBe(1);
        expect(stderrLines(run)).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^airlabel: output dir ${output}/ holds a run with a different ${changed} \\(was [^,]+, now [^)]+\\); re-run with --overwrite to start over, or use another --output$`,
                    "u"
                )
            )
        ]);
        await checkInvariants(output, job.inputIdx, {previous: finished, settled: true});
    });
});
