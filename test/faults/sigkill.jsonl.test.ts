import {expect, test} from "vitest";
import {faultJob, killLoop} from "./harness.js";

// 15 kills here and 15 in sigkill.parquet.test.ts (the two files run side by side).
// Replay a schedule with AIRLABEL_FAULT_SEED=<seed> (printed); hundreds of kills: npm run soak (test/soak/).
const seed = Number(process.env.AIRLABEL_FAULT_SEED ?? 20261124);

test(`SIGKILL at 15 seeded random moments (seed ${seed}, jsonl shards), resuming each time: the invariants hold after every kill and every row ends up exactly once`, {
    timeout: 300_000
}, async () => {
    const job = await faultJob(60);
    const result = await killLoop(job, {seed, kills: 15, formats: ["jsonl"], ...(process.env.AIRLABEL_FAULT_DEBUG !== undefined ? {log: console.log} : {})});
    console.log(
        `sigkill (jsonl): seed ${seed}, ${result.kills} kills, ${result.completedRuns} runs completed between kills, kill moments: ${result.schedule.join(" ")}`
    );
    expect(result.kills).toBe(15);
});
