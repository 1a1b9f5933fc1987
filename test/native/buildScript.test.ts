import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {repoRoot, tempDir} from "../support/fixtures.js";
import {patchedCpuBuild} from "../gpu/support.js";

function buildScript(...args: string[]) {
    return spawnSync(process.execPath, [path.join(repoRoot, "native", "build.mjs"), ...args], {cwd: repoRoot, encoding: "utf8"});
}

const patchFile = path.join(repoRoot, "native", "patches", "airlabel-placement.patch");
const addonDir = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "addon");

test("the dry run names the shipped llama.cpp source, the placement patch and the build command, and changes nothing", () => {
    const before = fs.readFileSync(path.join(addonDir, "AddonModel.cpp"), "utf8");
    const run = buildScript("--gpu", "cpu", "--dry-run");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("node_modules/node-llama-cpp/llama/gitRelease.bundle");
    expect(run.stderr).toMatch(/source download --gpu false --noUsageExample/u);
    expect(run.stderr).toMatch(/placement patch native\/patches\/airlabel-placement\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toContain("dry run, nothing patched or built");
    expect(fs.readFileSync(path.join(addonDir, "AddonModel.cpp"), "utf8")).toBe(before);
});

test("an unknown backend is refused with the list of backends", () => {
    const run = buildScript("--gpu", "rocm", "--dry-run");
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('build:native: --gpu must be one of cpu, cuda, metal, vulkan (got "rocm")');
});

test("the placement patch is a unified diff of node-llama-cpp's addon source that applies to it (or is applied), and round-trips", () => {
    const text = fs.readFileSync(patchFile, "utf8");
    expect(text.match(/^\+\+\+ b\/(.+)$/gmu)).toEqual(["+++ b/llama/addon/AddonModel.cpp", "+++ b/llama/addon/AddonModel.h", "+++ b/llama/addon/addon.cpp"]);
    // on a copy of the addon source: bring it to the unpatched state, apply, and check that applying again is refused
    const copy = tempDir();
    fs.cpSync(addonDir, path.join(copy, "llama", "addon"), {recursive: true});
    const patch = (...flags: string[]) => spawnSync("patch", ["-p1", "--force", "--silent", ...flags, "-i", patchFile], {cwd: copy, encoding: "utf8"});
    const applied = fs.readFileSync(path.join(copy, "llama", "addon", "AddonModel.cpp"), "utf8").includes("airlabel placement patch");
    if (applied) expect(patch("--reverse").status).toBe(0);
    const pristine = fs.readFileSync(path.join(copy, "llama", "addon", "addon.cpp"), "utf8");
    expect(pristine).not.toContain("getAirlabelPlacement");
    expect(patch("--forward").status).toBe(0);
    const patched = fs.readFileSync(path.join(copy, "llama", "addon", "addon.cpp"), "utf8");
    expect(patched).toContain("getAirlabelPlacement");
    expect(patch("--forward", "--dry-run").status).not.toBe(0);
    expect(fs.readFileSync(path.join(copy, "llama", "addon", "AddonModel.cpp"), "utf8")).toMatch(/options\.Has\("splitMode"\)[\s\S]*options\.Has\("mainGpu"\)[\s\S]*options\.Has\("tensorSplit"\)[\s\S]*options\.Has\("devices"\)/u);
});

test.runIf(patchedCpuBuild)("--check finds the patched CPU build made here and loads it", () => {
    const run = buildScript("--gpu", "cpu", "--check");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("build:native: checked; the patched build loads (placement options: splitMode, tensorSplit, mainGpu, devices)");
});
