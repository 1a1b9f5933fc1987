import {spawnSync} from "node:child_process";
import path from "node:path";
import {expect, test} from "vitest";
import {repoRoot} from "../support/fixtures.js";

// The tree is formatted and lint-clean (biome.json); `npm run format` fixes what can be fixed.
test("biome ci: every file formatted, no lint finding", () => {
    const biome = path.join(repoRoot, "node_modules", ".bin", "biome");
    const result = spawnSync(biome, ["ci", "--reporter=summary", "--colors=off"], {cwd: repoRoot, encoding: "utf8"});
    expect(result.error).toBeUndefined();
    // the files it checked: an empty selection would pass without checking anything
    expect(result.stdout + result.stderr).toMatch(/Checked [1-9]\d{2,} files/u);
    expect({status: result.status, output: result.status === 0 ? "" : result.stdout + result.stderr}).toEqual({status: 0, output: ""});
});
