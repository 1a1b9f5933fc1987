import {defineConfig} from "vitest/config";

// The opt-in soak run (not part of npm test): npm run soak. See test/soak/sigkill.soak.ts.
export default defineConfig({
    test: {
        include: ["test/soak/**/*.soak.ts"],
        testTimeout: 6 * 60 * 60_000,
        hookTimeout: 120_000,
        pool: "forks",
        maxWorkers: 1,
        reporters: ["default"]
    }
});
