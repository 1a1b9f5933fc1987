import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {generatedModel, readJsonlDir, tempDir, writeJsonl} from "../support/fixtures.js";
import {ENGINE_READY, runAirlabel} from "./harness.js";

// The first SIGTERM stops starting rows and gives the rows in flight --stop-grace-ms to finish; then the local
// engine cuts them off (neither answered nor failed: a resume generates them), commits what is done and exits 130.
// Before, the rows in flight ran to their end with no bound (minutes for a long answer).

test("SIGTERM during rows that take many seconds: the process is gone within the grace period plus 2 s, nothing is recorded for the cut-off rows, and the same command completes them", async () => {
    const model = await generatedModel(10_000_000);
    const dir = tempDir();
    const input = writeJsonl(
        path.join(dir, "in.jsonl"),
        ["a", "b", "c"].map((text) => ({text}))
    );
    const output = path.join(dir, "out");
    // every answer is exactly 3000 tokens long: several seconds a row on this model, two rows at a time
    const args = ["run", "-i", input, "-m", model, "-o", output, "--max-tokens", "3000", "--ignore-eos", "--parallel", "2", "--stop-grace-ms", "1000"];
    let signalledAt = 0;
    const stopped = await runAirlabel(args, {
        onSpawn: (child) => {
            let stderr = "";
            child.stderr?.on("data", (chunk: Buffer) => {
                stderr += chunk.toString();
                if (signalledAt === 0 && ENGINE_READY.test(stderr)) {
                    signalledAt = -1;
                    setTimeout(() => {
                        signalledAt = performance.now();
                        child.kill("SIGTERM");
                    }, 1000);
                }
            });
        }
    });
    const exitedAfterMs = performance.now() - signalledAt;
    expect(signalledAt, stopped.stderr).toBeGreaterThan(0);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(exitedAfterMs, stopped.stderr).toBeLessThan(1000 + 2000);
    expect(stopped.stderr).toMatch(/SIGTERM: finishing the rows in flight/u);
    // the two rows in flight were cut off: not in data/, not in errors/
    expect(readJsonlDir(path.join(output, "data"))).toEqual([]);
    expect(readJsonlDir(path.join(output, "errors"))).toEqual([]);

    const resumed = await runAirlabel(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    const rows = readJsonlDir(path.join(output, "data"));
    expect(rows.map((row) => row.idx).sort()).toEqual([0, 1, 2]);
    expect(rows.every((row) => row.completion_tokens === 3000)).toBe(true);
    expect(fs.existsSync(path.join(output, "errors")) ? readJsonlDir(path.join(output, "errors")) : []).toEqual([]);
}, 180_000);
