import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {repoRoot, tempDir} from "../support/fixtures.js";
import {patchedCpuBuild} from "../gpu/support.js";

function buildScript(...args: string[]) {
    return spawnSync(process.execPath, [path.join(repoRoot, "native", "build.mjs"), ...args], {cwd: repoRoot, encoding: "utf8"});
}

const patchFiles = ["airlabel-placement.patch", "airlabel-decode-thread.patch", "airlabel-sampling.patch", "airlabel-steps.patch"].map((name) =>
    path.join(repoRoot, "native", "patches", name)
);
const addonDir = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "addon");

test("the dry run names the shipped llama.cpp source, the four patches and the build command, and changes nothing", () => {
    const before = fs.readFileSync(path.join(addonDir, "AddonModel.cpp"), "utf8");
    const run = buildScript("--gpu", "cpu", "--dry-run");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("node_modules/node-llama-cpp/llama/gitRelease.bundle");
    expect(run.stderr).toMatch(/source download --gpu false --noUsageExample/u);
    expect(run.stderr).toMatch(/placement patch native\/patches\/airlabel-placement\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/decode-thread patch native\/patches\/airlabel-decode-thread\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/sampling patch native\/patches\/airlabel-sampling\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/steps patch native\/patches\/airlabel-steps\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toContain("dry run, nothing patched or built");
    expect(fs.readFileSync(path.join(addonDir, "AddonModel.cpp"), "utf8")).toBe(before);
});

test("an unknown backend is refused with the list of backends", () => {
    const run = buildScript("--gpu", "rocm", "--dry-run");
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('build:native: --gpu must be one of cpu, cuda, metal, vulkan (got "rocm")');
});

test("the patches are unified diffs of node-llama-cpp's addon source that apply to it in order (or are applied), and round-trip", () => {
    const [placementPatch, decodeThreadPatch, samplingPatch, stepsPatch] = patchFiles as [string, string, string, string];
    const changedFiles = (file: string) => fs.readFileSync(file, "utf8").match(/^\+\+\+ b\/(.+)$/gmu);
    expect(changedFiles(placementPatch)).toEqual(["+++ b/llama/addon/AddonModel.cpp", "+++ b/llama/addon/AddonModel.h", "+++ b/llama/addon/addon.cpp"]);
    expect(changedFiles(decodeThreadPatch)).toEqual(["+++ b/llama/addon/AddonContext.cpp", "+++ b/llama/addon/AddonContext.h", "+++ b/llama/addon/addon.cpp"]);
    expect(changedFiles(samplingPatch)).toEqual([
        "+++ b/llama/addon/AddonContext.cpp",
        "+++ b/llama/addon/AddonContext.h",
        "+++ b/llama/addon/AddonSampler.cpp",
        "+++ b/llama/addon/AirlabelSampling.cpp",
        "+++ b/llama/addon/AirlabelSampling.h"
    ]);
    expect(changedFiles(stepsPatch)).toEqual([
        "+++ b/llama/CMakeLists.txt",
        "+++ b/llama/addon/AddonContext.cpp",
        "+++ b/llama/addon/AddonContext.h",
        "+++ b/llama/addon/AirlabelGrammarMask.cpp",
        "+++ b/llama/addon/AirlabelGrammarMask.h",
        "+++ b/llama/addon/AirlabelSampling.cpp",
        "+++ b/llama/addon/AirlabelSampling.h",
        "+++ b/llama/addon/AirlabelSteps.cpp",
        "+++ b/llama/addon/AirlabelSteps.h"
    ]);
    // on a copy of the addon source: bring it to the unpatched state, apply in order, and check that applying again is refused
    const copy = tempDir();
    fs.cpSync(addonDir, path.join(copy, "llama", "addon"), {recursive: true});
    fs.cpSync(path.join(addonDir, "..", "CMakeLists.txt"), path.join(copy, "llama", "CMakeLists.txt"));
    const patch = (file: string, ...flags: string[]) => spawnSync("patch", ["-p1", "--force", "--silent", ...flags, "-i", file], {cwd: copy, encoding: "utf8"});
    const read = (name: string) => fs.readFileSync(path.join(copy, "llama", "addon", name), "utf8");
    for (const file of [...patchFiles].reverse()) if (patch(file, "--reverse", "--dry-run").status === 0) expect(patch(file, "--reverse").status).toBe(0);
    expect(read("addon.cpp")).not.toMatch(/getAirlabelPlacement|getAirlabelDecodeThread/u);
    expect(read("AddonContext.cpp")).not.toContain("AirlabelDecodeThread");
    expect(fs.existsSync(path.join(copy, "llama", "addon", "AirlabelSampling.cpp")) ? read("AirlabelSampling.cpp") : "").toBe("");
    for (const file of patchFiles) expect(patch(file, "--forward").status).toBe(0);
    expect(read("addon.cpp")).toContain("getAirlabelPlacement");
    expect(read("addon.cpp")).toContain("getAirlabelDecodeThread");
    // a step's sequences are sampled by airlabelSampleMany, on the context's own thread
    expect(read("AddonContext.cpp")).toMatch(
        /ctx->airlabelDecodeThread\.run\(\[this\]\(\) \{[\s\S]*airlabelSampleMany\(ctx->ctx, batchLogitIndexes, samplers, tokens, errors, ctx->airlabelSamplingStats\);/u
    );
    expect(read("AirlabelSampling.cpp")).toContain("void airlabelSampleMany(");
    // the native decode loop runs on the context's own thread too, and samples with airlabelSampleMany
    expect(read("AddonContext.cpp")).toMatch(/ctx->airlabelDecodeThread\.run\(\[this\]\(\) \{\s*try \{\s*ctx->airlabelSteps\.run\(/u);
    expect(read("AirlabelSteps.cpp")).toMatch(/airlabelSampleMany\(ctx, logitIndexes, samplers, tokens, errors, stats[,)]/u);
    for (const file of patchFiles) expect(patch(file, "--forward", "--dry-run").status).not.toBe(0);
    expect(read("AddonModel.cpp")).toMatch(
        /options\.Has\("splitMode"\)[\s\S]*options\.Has\("mainGpu"\)[\s\S]*options\.Has\("tensorSplit"\)[\s\S]*options\.Has\("devices"\)/u
    );
    // every decode of a context goes through its own thread, which is stopped before the context's memory is freed
    expect(read("AddonContext.cpp")).toMatch(/void Execute\(\) \{\s*\/\/[^\n]*\n\s*ctx->airlabelDecodeThread\.run\(/u);
    expect(read("AddonContext.cpp")).toMatch(/airlabelDecodeThread\.stop\(\);\s*if \(currentCtx != nullptr\) \{\s*llama_free\(currentCtx\);/u);
});

test.runIf(patchedCpuBuild)("--check finds the patched CPU build made here and loads it", () => {
    const run = buildScript("--gpu", "cpu", "--check");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(
        "build:native: checked; the patched build loads (placement options: splitMode, tensorSplit, mainGpu, devices; decodes on a thread per context)"
    );
});
