import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel, stderrLines, type FaultJob, type Snapshot} from "./harness.js";

// Damage done to a finished run's files between runs. The next start must find it (size / sha256 against the
// manifest), say so in one line naming the file, and recover without losing or duplicating a row.
let job: FaultJob;
let finished: string;
let base: Snapshot;
beforeAll(async () => {
    job = await faultJob(30);
    finished = path.join(tempDir(), "finished");
    const run = await runAirlabel(job.args(finished));
    expect(run.code, run.stderr).toBe(0);
    base = await checkInvariants(finished, job.inputIdx, {settled: true});
    expect(base.complete).toBe(true);
});

/** A copy of the finished run to damage. */
function copyOfFinished(): string {
    const output = path.join(tempDir(), "damaged");
    fs.cpSync(finished, output, {recursive: true});
    return output;
}

function manifestFiles(output: string): string[] {
    const manifest = JSON.parse(fs.readFileSync(path.join(output, "manifest.json"), "utf8")) as {shards: {data: {file: string} | null}[]};
    return manifest.shards.flatMap((shard) => (shard.data === null ? [] : [shard.data.file]));
}

describe("a damaged shard is found at the next start and its rows are generated again", () => {
    test.each([
        {
            damage: "the last data shard truncated by 7 bytes",
            pick: (files: string[]) => files.at(-1)!,
            apply: (file: string) => fs.truncateSync(file, fs.statSync(file).size - 7)
        },
        {
            damage: "16 NUL bytes appended to the first data shard",
            pick: (files: string[]) => files[0]!,
            apply: (file: string) => fs.appendFileSync(file, Buffer.alloc(16))
        },
        {
            damage: "one byte changed in the middle of a data shard (same size)",
            pick: (files: string[]) => files[1]!,
            apply: (file: string) => {
                const bytes = fs.readFileSync(file);
                bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x20;
                fs.writeFileSync(file, bytes);
            }
        },
        {damage: "a data shard deleted", pick: (files: string[]) => files[2]!, apply: (file: string) => fs.rmSync(file)}
    ])("$damage", async ({pick, apply}) => {
        const output = copyOfFinished();
        const target = pick(manifestFiles(output));
        apply(path.join(output, target));
        const run = await runAirlabel(job.args(output, "--json"));
        expect(run.code, run.stderr).toBe(0);
        const lines = stderrLines(run).filter((line) => line.includes(target));
        expect(lines, run.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(
            new RegExp(
                `^airlabel: committed shard ${output}/${target} (has \\d+ bytes where manifest\\.json recorded \\d+|was modified \\(its sha256 differs from manifest\\.json\\)|is missing); its \\d+ rows? will be generated again`,
                "u"
            )
        );
        const summary = JSON.parse(run.stdout) as {doneRows: number; resumedRows: number; complete: boolean};
        expect(summary.complete).toBe(true);
        expect(summary.doneRows).toBeGreaterThan(0);
        expect(summary.resumedRows + summary.doneRows).toBe(job.inputIdx.length);
        // every other shard kept byte for byte; every row once
        const after = await checkInvariants(output, job.inputIdx, {
            previous: base,
            dropped: [target, target.replace(/^data\/(.*)\.jsonl$/u, "errors/$1.jsonl")],
            settled: true
        });
        expect(after.complete).toBe(true);
    });
});

describe("a damaged manifest.json", () => {
    test.each([
        {damage: "truncated by 5 bytes", apply: (file: string) => fs.truncateSync(file, fs.statSync(file).size - 5)},
        {damage: "with 32 NUL bytes appended", apply: (file: string) => fs.appendFileSync(file, Buffer.alloc(32))}
    ])("$damage: the next start recovers the commit before it from manifest.prev.json and completes", async ({apply}) => {
        const output = copyOfFinished();
        apply(path.join(output, "manifest.json"));
        const run = await runAirlabel(job.args(output, "--json"));
        expect(run.code, run.stderr).toBe(0);
        const lines = stderrLines(run).filter((line) => line.includes("manifest.json"));
        expect(lines, run.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(
            new RegExp(
                `^airlabel: ${output}/manifest\\.json is corrupt \\(.+\\); recovered the commit before it from manifest\\.prev\\.json \\(rows committed after it are generated again\\)$`,
                "u"
            )
        );
        expect((JSON.parse(run.stdout) as {complete: boolean}).complete).toBe(true);
        const after = await checkInvariants(output, job.inputIdx, {previous: base, settled: true});
        expect(after.complete).toBe(true);
    });

    test("and manifest.prev.json damaged too: refused in one line naming the file and the fix; nothing is touched", async () => {
        const output = copyOfFinished();
        fs.truncateSync(path.join(output, "manifest.json"), 40);
        fs.appendFileSync(path.join(output, "manifest.prev.json"), Buffer.alloc(8));
        const shardsBefore = fs.readdirSync(path.join(output, "data"));
        const run = await runAirlabel(job.args(output, "-q"));
        expect(run.code).toBe(1);
        expect(stderrLines(run)).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^airlabel: ${output}/manifest\\.json is corrupt \\(.+\\), and neither is the manifest\\.prev\\.json to recover from; re-run with --overwrite to start over, or use another --output$`,
                    "u"
                )
            )
        ]);
        expect(fs.readdirSync(path.join(output, "data"))).toEqual(shardsBefore);
        expect(fs.existsSync(path.join(output, ".airlabel.lock"))).toBe(false);
    });
});
