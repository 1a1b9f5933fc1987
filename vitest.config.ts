import os from "node:os";
import path from "node:path";
import {defineConfig} from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 120_000,
        hookTimeout: 120_000,
        pool: "forks",
        maxWorkers: 2,
        // two test files run at once on these 2 cores: one llama.cpp thread per engine, or spinning threads of one
        // file's engine starve the other (a user's single run takes every core; see defaultThreads)
        // model hashes go to a cache of the tests, not the user's ~/.cache/airlabel
        env: {AIRLABEL_THREADS: "1", AIRLABEL_CACHE_DIR: path.join(os.tmpdir(), "airlabel-test-cache")},
        reporters: ["default"]
    }
});
