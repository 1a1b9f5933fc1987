import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {repoRoot, tempDir} from "../support/fixtures.js";
import {patchedCpuBuild} from "../gpu/support.js";

function buildScript(...args: string[]) {
    return spawnSync(process.execPath, [path.join(repoRoot, "native", "build.mjs"), ...args], {cwd: repoRoot, encoding: "utf8"});
}

const patchFiles = [
    "airlabel-placement.patch",
    "airlabel-decode-thread.patch",
    "airlabel-sampling.patch",
    "airlabel-steps.patch",
    "airlabel-argmax.patch",
    "airlabel-overlap.patch",
    "airlabel-grammar.patch",
    "airlabel-jump.patch"
].map((name) => path.join(repoRoot, "native", "patches", name));
const llamaPatchFile = path.join(repoRoot, "native", "patches", "airlabel-argmax-llama.patch");
const addonDir = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "addon");

test("the dry run names the shipped llama.cpp source, the patches and the build command, and changes nothing", () => {
    const before = fs.readFileSync(path.join(addonDir, "AddonModel.cpp"), "utf8");
    const run = buildScript("--gpu", "cpu", "--dry-run");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("node_modules/node-llama-cpp/llama/gitRelease.bundle");
    expect(run.stderr).toMatch(/source download --gpu false --noUsageExample --skipBuild/u);
    expect(run.stderr).toMatch(/placement patch native\/patches\/airlabel-placement\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/decode-thread patch native\/patches\/airlabel-decode-thread\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/sampling patch native\/patches\/airlabel-sampling\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/steps patch native\/patches\/airlabel-steps\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/argmax patch native\/patches\/airlabel-argmax\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/overlap patch native\/patches\/airlabel-overlap\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/grammar patch native\/patches\/airlabel-grammar\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toMatch(/jump patch native\/patches\/airlabel-jump\.patch: (already applied|to apply)\n/u);
    expect(run.stderr).toContain("argmax (llama.cpp) patch native/patches/airlabel-argmax-llama.patch: to apply to the fresh clone\n");
    expect(run.stderr).toContain("dry run, nothing patched or built");
    expect(fs.readFileSync(path.join(addonDir, "AddonModel.cpp"), "utf8")).toBe(before);
});

test("an unknown backend is refused with the list of backends", () => {
    const run = buildScript("--gpu", "rocm", "--dry-run");
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('build:native: --gpu must be one of cpu, cuda, metal, vulkan (got "rocm")');
});

test("the patches are unified diffs of node-llama-cpp's addon source that apply to it in order (or are applied), and round-trip", () => {
    const [placementPatch, decodeThreadPatch, samplingPatch, stepsPatch, argmaxPatch, overlapPatch, grammarPatch, jumpPatch] = patchFiles as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
    ];
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
    expect(changedFiles(argmaxPatch)).toEqual([
        "+++ b/llama/addon/AddonContext.cpp",
        "+++ b/llama/addon/AddonContext.h",
        "+++ b/llama/addon/AirlabelSampling.cpp",
        "+++ b/llama/addon/AirlabelSampling.h",
        "+++ b/llama/addon/AirlabelSteps.cpp",
        "+++ b/llama/addon/AirlabelSteps.h"
    ]);
    expect(changedFiles(overlapPatch)).toEqual([
        "+++ b/llama/addon/AddonContext.cpp",
        "+++ b/llama/addon/AddonContext.h",
        "+++ b/llama/addon/AirlabelSteps.cpp",
        "+++ b/llama/addon/AirlabelSteps.h"
    ]);
    expect(changedFiles(grammarPatch)).toEqual([
        "+++ b/llama/addon/AddonSampler.cpp",
        "+++ b/llama/addon/AddonSampler.h",
        "+++ b/llama/addon/AirlabelSampling.cpp",
        "+++ b/llama/addon/AirlabelSampling.h",
        "+++ b/llama/addon/AirlabelSteps.cpp"
    ]);
    expect(changedFiles(jumpPatch)).toEqual([
        "+++ b/llama/addon/AddonContext.cpp",
        "+++ b/llama/addon/AddonContext.h",
        "+++ b/llama/addon/AirlabelForcedToken.cpp",
        "+++ b/llama/addon/AirlabelForcedToken.h",
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
    expect(read("AddonContext.cpp")).toMatch(
        /ctx->airlabelDecodeThread\.run\(\[this\]\(\) \{\s*try \{\s*if \(overlapped\) \{\s*ctx->airlabelSteps\.runOverlapped\([\s\S]*?\} else \{\s*ctx->airlabelSteps\.run\(/u
    );
    expect(read("AirlabelSteps.cpp")).toMatch(/airlabelSampleMany\(ctx, logitIndexes, samplers, tokens, errors, stats[,)]/u);
    // a generation whose grammar admits only its end stops without decoding its last token
    expect(read("AirlabelSteps.cpp")).toMatch(
        /else if \(last && !slot\.ignoreEos && airlabelGrammarEnded\(slot\.sampler\)\) \{[^}]*slot\.finish = 1;\s*\}\s*return slot\.finish == 0;/u
    );
    // a forced token is taken before any sampling; with jump-forward the tokens forced after a sampled one join its step
    expect(read("AirlabelSampling.cpp")).toMatch(/int32_t token = forcedNow\(forcing, key\);[\s\S]*token = sampleFast\(/u);
    expect(read("AirlabelSteps.cpp")).toMatch(/for \(size_t i = 0; i < forcedCount; i\+\+\) \{[^}]*slot\.pending\.push_back\(\(\*forced\)\[i\]\);/u);
    for (const file of patchFiles) expect(patch(file, "--forward", "--dry-run").status).not.toBe(0);
    expect(read("AddonModel.cpp")).toMatch(
        /options\.Has\("splitMode"\)[\s\S]*options\.Has\("mainGpu"\)[\s\S]*options\.Has\("tensorSplit"\)[\s\S]*options\.Has\("devices"\)/u
    );
    // every decode of a context goes through its own thread, which is stopped before the context's memory is freed
    expect(read("AddonContext.cpp")).toMatch(/void Execute\(\) \{\s*\/\/[^\n]*\n\s*ctx->airlabelDecodeThread\.run\(/u);
    expect(read("AddonContext.cpp")).toMatch(/airlabelDecodeThread\.stop\(\);\s*if \(currentCtx != nullptr\) \{\s*llama_free\(currentCtx\);/u);
});

test("the llama.cpp part of the argmax patch applies to the shipped llama.cpp source (or is applied), and round-trips", () => {
    const changed = (fs.readFileSync(llamaPatchFile, "utf8").match(/^\+\+\+ b\/(.+)$/gmu) ?? []).map((line) => line.slice("+++ b/".length));
    expect(changed).toEqual([
        "llama/llama.cpp/include/llama.h",
        "llama/llama.cpp/src/llama-context.cpp",
        "llama/llama.cpp/src/llama-context.h",
        "llama/llama.cpp/src/llama-cparams.h",
        "llama/llama.cpp/src/llama-graph.cpp",
        "llama/llama.cpp/src/llama-graph.h",
        "llama/llama.cpp/src/llama-model.cpp"
    ]);
    const copy = tempDir();
    for (const file of changed) {
        fs.mkdirSync(path.dirname(path.join(copy, file)), {recursive: true});
        fs.copyFileSync(path.join(addonDir, "..", "..", file), path.join(copy, file));
    }
    const patch = (...flags: string[]) => spawnSync("patch", ["-p1", "--force", "--silent", ...flags, "-i", llamaPatchFile], {cwd: copy, encoding: "utf8"});
    if (patch("--reverse", "--dry-run").status === 0) expect(patch("--reverse").status).toBe(0);
    const read = (file: string) => fs.readFileSync(path.join(copy, "llama", "llama.cpp", file), "utf8");
    expect(read("include/llama.h")).not.toContain("llama_airlabel_set_argmax");
    expect(patch("--forward").status).toBe(0);
    expect(read("include/llama.h")).toContain("LLAMA_API void        llama_airlabel_set_argmax");
    // one argmax over every output row, built after the backend samplers, copied out with the outputs
    expect(read("src/llama-model.cpp")).toMatch(/llm->build_sampling\(\);\s*\/\/ airlabel argmax patch\s*llm->airlabel_build_argmax\(\);/u);
    expect(read("src/llama-graph.cpp")).toContain("ggml_argmax(ctx0, res->t_logits)");
    expect(read("src/llama-context.cpp")).toContain("!(airlabel_skip_logits && res->t_airlabel_argmax)");
    expect(patch("--forward", "--dry-run").status).not.toBe(0);
});

test.runIf(patchedCpuBuild)("--check finds the patched CPU build made here and loads it", () => {
    const run = buildScript("--gpu", "cpu", "--check");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(
        "build:native: checked; the patched build loads (placement options: splitMode, tensorSplit, mainGpu, devices; decodes on a thread per context)"
    );
});
