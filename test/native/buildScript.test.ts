import {spawnSync} from "node:child_process";
import path from "node:path";
import {expect, test} from "vitest";
import {repoRoot} from "../support/fixtures.js";

function buildScript(...args: string[]) {
    return spawnSync(process.execPath, [path.join(repoRoot, "native", "build.mjs"), ...args], {cwd: repoRoot, encoding: "utf8"});
}

test("the dry run names the shipped llama.cpp source and the build command, and builds nothing", () => {
    const run = buildScript("--gpu", "cpu", "--dry-run");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("node_modules/node-llama-cpp/llama/gitRelease.bundle");
    expect(run.stderr).toMatch(/source download --gpu false --noUsageExample/u);
    expect(run.stderr).toContain("dry run, nothing built");
});

test("an unknown backend is refused with the list of backends", () => {
    const run = buildScript("--gpu", "rocm", "--dry-run");
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('build:native: --gpu must be one of cpu, cuda, metal, vulkan (got "rocm")');
});
