import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {readOutput} from "../../src/output/readOutput.js";
import {jobFixture, readJsonlDir, runCli} from "../support/fixtures.js";

const rows = Array.from({length: 60}, (_, i) => ({id: i, text: `row number ${i} ${"x".repeat(i % 13)}`}));
let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
});

const schemaFile = () => {
    const file = path.join(dir, "schema.json");
    fs.writeFileSync(file, JSON.stringify({type: "object", properties: {label: {enum: ["a", "b"]}}, required: ["label"]}));
    return file;
};

describe("airlabel run (CLI, real engine)", () => {
    test("--json prints the summary on stdout; logs stay on stderr", async () => {
        const output = path.join(dir, "out-json");
        const result = await runCli([
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "-p",
            "{text}",
            "-s",
            schemaFile(),
            "--max-tokens",
            "20",
            "--max-rows",
            "10",
            "--json"
        ]);
        expect(result.code, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as Record<string, unknown>;
        expect(summary).toMatchObject({totalRows: 10, okRows: 10, failedRows: 0, complete: true});
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((r) => r.idx)
                .sort((a, b) => (a as number) - (b as number))
        ).toEqual([...Array(10).keys()]);
    });

    test("a run killed with SIGKILL part-way, then re-run, yields every input row exactly once", async () => {
        const output = path.join(dir, "out-kill");
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
            "-s",
            schemaFile(),
            "--max-tokens",
            "24",
            "--shard-size",
            "4",
            "--parallel",
            "2",
            "-q"
        ];
        const manifest = path.join(output, "manifest.json");
        const killed = await new Promise<Awaited<ReturnType<typeof runCli>>>((resolve, reject) => {
            const poll = setInterval(() => {
                try {
                    const shards = (JSON.parse(fs.readFileSync(manifest, "utf8")) as {shards: unknown[]}).shards;
                    if (shards.length >= 2) {
                        clearInterval(poll);
                        child?.kill("SIGKILL");
                    }
                } catch {
                    /* not written yet */
                }
            }, 20);
            let child: import("node:child_process").ChildProcess | undefined;
            runCli(args, {
                onSpawn: (c) => {
                    child = c;
                }
            })
                .then(resolve, reject)
                .finally(() => clearInterval(poll));
        });
        expect(killed.signal).toBe("SIGKILL");
        // the rows the manifest commits (a shard file written after the last commit, before the kill landed, is not one)
        const before = (await readOutput(output)).rows;
        expect(before.length).toBeGreaterThan(0);
        expect(before.length).toBeLessThan(60);

        const resumed = await runCli([...args, "--json"]);
        expect(resumed.code, resumed.stderr).toBe(0);
        const summary = JSON.parse(resumed.stdout) as {resumedRows: number; complete: boolean};
        expect(summary.complete).toBe(true);
        expect(summary.resumedRows).toBe(before.length);
        const all = [...readJsonlDir(path.join(output, "data")), ...readJsonlDir(path.join(output, "errors"))];
        expect(all.map((r) => r.idx as number).sort((a, b) => a - b)).toEqual([...Array(60).keys()]);
        const tmpLeft = fs.readdirSync(path.join(output, "data")).filter((f) => f.endsWith(".tmp"));
        expect(tmpLeft).toEqual([]);
    });
});
