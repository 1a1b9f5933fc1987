import {expect, test} from "vitest";
import {faultJob, killLoop} from "../faults/harness.js";

// Opt-in soak: hundreds of SIGKILLs at seeded random moments over real runs, the invariants checked after each.
//   npm run soak                                        300 kills, a fresh seed (printed)
//   AIRLABEL_SOAK_KILLS=1000 AIRLABEL_FAULT_SEED=42 npm run soak
// A failure prints the seed; re-run with it to replay the same kill schedule.
const kills = Number(process.env.AIRLABEL_SOAK_KILLS ?? 300);
const seed = Number(process.env.AIRLABEL_FAULT_SEED ?? Date.now() % 1_000_000_007);

test(`soak: ${kills} SIGKILLs at seeded random moments (seed ${seed}), jsonl and parquet shards`, async () => {
    console.log(`soak: seed ${seed} (replay with AIRLABEL_FAULT_SEED=${seed})`);
    const job = await faultJob(150, {shardSize: 4, parallel: 4});
    let done = 0;
    const result = await killLoop(job, {
        seed,
        kills,
        formats: ["jsonl", "parquet"],
        log: (line) => {
            if (line.startsWith("kill") && line.includes("SIGKILL") && ++done % 25 === 0) console.log(`soak: ${done}/${kills} kills`);
        }
    });
    console.log(`soak: seed ${seed}, ${result.kills} kills, ${result.completedRuns} runs completed between kills`);
    expect(result.kills).toBe(kills);
});
