import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {generatedModel, readJsonlDir, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// --row-timeout bounds one row's generation, retries included: a row past it goes to errors/ (stage "generate",
// finish_reason "timeout", the reason naming the limit) and the other rows are answered. Both local drivers: the
// native decode loop (the limit checked before each step, in C++) and the JavaScript one.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel(10_000_000);
    dir = tempDir();
});

/** Seconds from the engine's startup line to the process's end: the generation, without the model load. */
function generationSeconds(stderr: string, wallMs: number, loadedAtMs: number): number {
    expect(stderr).toMatch(/airlabel: engine: /u);
    return (wallMs - loadedAtMs) / 1000;
}

async function runTimed(args: string[], env?: Record<string, string>): Promise<{code: number | null; stderr: string; seconds: number}> {
    const started = performance.now();
    let loadedAt = -1;
    const result = await runCli(args, {
        ...(env !== undefined ? {env} : {}),
        onSpawn: (child) => {
            let stderr = "";
            child.stderr?.on("data", (chunk: Buffer) => {
                stderr += chunk.toString();
                if (loadedAt < 0 && /airlabel: engine: /u.test(stderr)) loadedAt = performance.now() - started;
            });
        }
    });
    return {code: result.code, stderr: result.stderr, seconds: generationSeconds(result.stderr, performance.now() - started, loadedAt)};
}

describe("--row-timeout", () => {
    test("a row whose answers the validate hook always rejects (it would retry for minutes) fails at 5 s; the others are answered", async () => {
        const input = writeJsonl(
            path.join(dir, "mixed.jsonl"),
            ["fine", "hard", "also fine"].map((text) => ({text}))
        );
        const hooks = path.join(dir, "hooks.mjs");
        fs.writeFileSync(hooks, 'export function validate(row) { return row.text === "hard" ? "never right" : true; }\n');
        const output = path.join(dir, "mixed-out");
        const run = await runTimed([
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "--hooks",
            hooks,
            "--max-tokens",
            "16",
            "--retries-invalid",
            "1000000",
            "--row-timeout",
            "5"
        ]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.seconds).toBeLessThan(5 + 3);
        expect(
            readJsonlDir(path.join(output, "data"))
                .map((row) => row.text)
                .sort()
        ).toEqual(["also fine", "fine"]);
        const errors = readJsonlDir(path.join(output, "errors"));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({idx: 1, stage: "generate", finish_reason: "timeout"});
        expect(String(errors[0]!.reason)).toMatch(/^the row took longer than its time limit \(--row-timeout 5 s\) in \d+ attempts; raise --row-timeout$/u);
        expect(Number(errors[0]!.attempts)).toBeGreaterThan(1);
    }, 120_000);

    for (const driver of ["native", "lockstep"] as const) {
        test(`one answer that would take minutes is cut at the limit (${driver} decode loop), with what it generated`, async () => {
            const input = writeJsonl(
                path.join(dir, `long-${driver}.jsonl`),
                ["a", "b"].map((text) => ({text}))
            );
            const output = path.join(dir, `long-${driver}-out`);
            const run = await runTimed(
                ["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "4000", "--ignore-eos", "--parallel", "2", "--row-timeout", "2"],
                driver === "lockstep" ? {AIRLABEL_DRIVER: "lockstep"} : {}
            );
            expect(run.code, run.stderr).toBe(0);
            expect(run.seconds).toBeLessThan(2 + 3);
            const errors = readJsonlDir(path.join(output, "errors"));
            expect(errors.map((row) => row.idx).sort()).toEqual([0, 1]);
            for (const row of errors) {
                expect(row).toMatchObject({stage: "generate", finish_reason: "timeout", attempts: 1});
                // cut off part way: the response holds what it had generated
                expect(String(row.response).length).toBeGreaterThan(0);
            }
        }, 120_000);
    }
});
