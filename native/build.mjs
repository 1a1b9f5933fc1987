#!/usr/bin/env node
// Builds node-llama-cpp's llama.cpp backend for this machine from the llama.cpp source that the installed
// node-llama-cpp package ships (node_modules/node-llama-cpp/llama/gitRelease.bundle): no network needed.
// airlabel uses the result automatically (node-llama-cpp prefers a local build over its prebuilt binaries)
// and says so in its startup line ("llama.cpp host build").
//
//   npm run build:native -- --gpu cpu|cuda|metal|vulkan [--dry-run | --check]
//
// --dry-run says what would be patched and built; --check builds nothing and checks the existing build (below).
//
// Before building, it applies airlabel's patches to node-llama-cpp's addon source (idempotent: an already patched
// source is left as it is):
// - native/patches/airlabel-placement.patch: the addon reads llama.cpp's model placement parameters (splitMode,
//   tensorSplit, mainGpu, devices) per model and exports getAirlabelPlacement(), by which airlabel detects it;
// - native/patches/airlabel-decode-thread.patch: each context runs its decodes on one thread of its own instead of
//   any thread of libuv's pool (with OpenMP, each pool thread became the master of a team of its own, and spinning
//   teams oversubscribed the cores); exports getAirlabelDecodeThread().
// - native/patches/airlabel-sampling.patch (on top of the decode-thread patch): airlabelSampleTokens samples every
//   sequence of a step in parallel, greedy and top-k without a vocabulary-sized candidate array, grammar masks cached
//   per grammar state (addon/AirlabelSampling.cpp); adds airlabelSamplingStats() (decode and sampling counters).
// - native/patches/airlabel-steps.patch (on top of the sampling patch; also edits llama/CMakeLists.txt): the decode
//   loop in native code (addon/AirlabelSteps.cpp: airlabelStepsAdd/Run/Interrupt/Cancel), and sampling threads from
//   the OpenMP team ggml decodes with where the build uses OpenMP.
// - native/patches/airlabel-argmax.patch (on top of the steps patch; also lists the few tokens a cached grammar mask
//   allows, for a greedy pick among them) with native/patches/airlabel-argmax-llama.patch
//   (llama.cpp's own source, applied to llama/llama.cpp after node-llama-cpp clones it from the bundle): the decode's
//   graph can take each output row's argmax (llama_airlabel_set_argmax, one op over the logits) and skip copying
//   logits rows out (llama_airlabel_set_skip_logits); the addon's airlabelGraphArgmax(on) turns it on for a context,
//   and the native loop takes plain greedy tokens from it (`--argmax graph`).
// - native/patches/airlabel-overlap.patch (on top of the argmax patch): with a callback, airlabelStepsRun hands each
//   step's finished generations to JavaScript while it goes on with the others, and rows JavaScript adds for the
//   freed sequences (airlabelStepsAdd with the event's id, then airlabelStepsAck) join two steps after the event's.
// - native/patches/airlabel-grammar.patch (on top of the overlap patch): a generation whose grammar admits only
//   end-of-generation after its last token ends there (airlabelGrammarEnded), without a decode to sample the forced
//   end; airlabelWarmGrammarMasks computes a grammar's first states' masks when a worker loads it.
// - native/patches/airlabel-jump.patch (on top of the grammar patch): a token a grammar forces (its forced text split
//   by the tokenizer, AirlabelForcedToken.cpp) is taken without reading logits or drawing a random number; with
//   airlabelStepsJumpForward(true) the native loop appends the tokens forced after each sampled one and decodes them
//   in its step (jump-forward).
// After building, it loads the new addon and checks the exports.
//
// On 2 cores a CPU build takes about 6 minutes. Needs cmake, git, patch and a C++ compiler (and the CUDA toolkit for cuda).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const gpus = {cpu: "false", cuda: "cuda", metal: "metal", vulkan: "vulkan"};

function fail(message) {
    process.stderr.write(`build:native: ${message}\n`);
    process.exit(2);
}

let values;
try {
    ({values} = parseArgs({
        options: {gpu: {type: "string", default: "cpu"}, "dry-run": {type: "boolean", default: false}, check: {type: "boolean", default: false}}
    }));
} catch (err) {
    fail(`${err.message}; usage: npm run build:native -- --gpu cpu|cuda|metal|vulkan [--dry-run | --check]`);
}
const gpu = gpus[values.gpu];
if (gpu === undefined) fail(`--gpu must be one of ${Object.keys(gpus).join(", ")} (got "${values.gpu}")`);

const cli = path.join(root, "node_modules", "node-llama-cpp", "dist", "cli", "cli.js");
const bundle = path.join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
if (!fs.existsSync(cli)) fail(`${cli} not found; run npm ci first`);
if (!fs.existsSync(bundle)) fail(`${bundle} not found: this node-llama-cpp does not ship llama.cpp's source, so it cannot be built offline`);

const missing = ["cmake", "patch", "git", values.gpu === "cuda" ? "nvcc" : null, process.platform === "win32" ? null : "c++"].filter(
    (tool) => tool !== null && spawnSync(tool, ["--version"], {stdio: "ignore"}).status !== 0
);
if (missing.length > 0) fail(`missing build tools: ${missing.join(", ")}; install them (e.g. apt-get install cmake g++) and retry`);

const packageDir = path.join(root, "node_modules", "node-llama-cpp");
/** Applied in this order; `marker` is the export each adds, named in the binary and called by the check below. */
const patches = [
    {name: "placement", file: path.join(root, "native", "patches", "airlabel-placement.patch"), marker: "getAirlabelPlacement"},
    {name: "decode-thread", file: path.join(root, "native", "patches", "airlabel-decode-thread.patch"), marker: "getAirlabelDecodeThread"},
    {name: "sampling", file: path.join(root, "native", "patches", "airlabel-sampling.patch"), marker: "airlabelSamplingStats"},
    {name: "steps", file: path.join(root, "native", "patches", "airlabel-steps.patch"), marker: "airlabelStepsLogprobs"},
    {name: "argmax", file: path.join(root, "native", "patches", "airlabel-argmax.patch"), marker: "airlabelGraphArgmax"},
    {name: "overlap", file: path.join(root, "native", "patches", "airlabel-overlap.patch"), marker: "airlabelStepsAck"},
    {name: "grammar", file: path.join(root, "native", "patches", "airlabel-grammar.patch"), marker: "airlabelGrammarEnded"},
    {name: "jump", file: path.join(root, "native", "patches", "airlabel-jump.patch"), marker: "airlabelStepsJumpForward"}
];

/**
 * How many of the patches, in order, the addon source already has (each later patch changes lines of the ones
 * before it, so they are undone together): the largest n for which undoing patches n-1..0 in turn succeeds on a
 * scratch copy. -1 when none is applied and the first does not apply either (another node-llama-cpp version).
 */
function appliedPatchCount() {
    const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-patches-"));
    try {
        for (let n = patches.length; n > 0; n--) {
            const scratch = path.join(scratchRoot, String(n));
            fs.cpSync(path.join(packageDir, "llama", "addon"), path.join(scratch, "llama", "addon"), {recursive: true});
            fs.cpSync(path.join(packageDir, "llama", "CMakeLists.txt"), path.join(scratch, "llama", "CMakeLists.txt"));
            const undone = patches
                .slice(0, n)
                .reverse()
                .every(
                    (patch) => spawnSync("patch", ["-p1", "--reverse", "--force", "--silent", "-i", patch.file], {cwd: scratch, stdio: "ignore"}).status === 0
                );
            if (undone) return n;
        }
        const forward =
            spawnSync("patch", ["-p1", "--dry-run", "--forward", "--force", "--silent", "-i", patches[0].file], {cwd: packageDir, stdio: "ignore"}).status ===
            0;
        return forward ? 0 : -1;
    } finally {
        fs.rmSync(scratchRoot, {recursive: true, force: true});
    }
}

// applied to llama.cpp's source after `source download --skipBuild` clones it (a fresh clone every build)
const llamaPatch = {
    name: "argmax (llama.cpp)",
    file: path.join(root, "native", "patches", "airlabel-argmax-llama.patch"),
    marker: "llama_airlabel_set_argmax"
};

const appliedCount = appliedPatchCount();
if (appliedCount < 0)
    fail(
        `${path.relative(root, patches[0].file)} does not apply to node_modules/node-llama-cpp/llama/addon (another node-llama-cpp version?); update the patches for this version`
    );
const states = patches.map((_, i) => (i < appliedCount ? "applied" : "unapplied"));

const infoFile = path.join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json");
// (a build in progress re-clones the source and rewrites this file)
const info = fs.existsSync(infoFile) ? JSON.parse(fs.readFileSync(infoFile, "utf8")) : {tag: "(shipped release)"};
const command = [process.execPath, cli, "source", "download", "--gpu", gpu, "--noUsageExample", "--skipBuild"];
const buildCommand = [process.execPath, cli, "source", "build", "--gpu", gpu, "--noUsageExample"];
process.stderr.write(`build:native: llama.cpp ${info.tag} for ${values.gpu}, from ${path.relative(root, bundle)}\n`);
process.stderr.write(
    `build:native: ${command.map((part) => (path.relative(root, part).startsWith("..") ? part : path.relative(root, part) || part)).join(" ")}\n`
);
for (const [i, patch] of patches.entries())
    process.stderr.write(`build:native: ${patch.name} patch ${path.relative(root, patch.file)}: ${states[i] === "applied" ? "already applied" : "to apply"}\n`);
process.stderr.write(`build:native: ${llamaPatch.name} patch ${path.relative(root, llamaPatch.file)}: to apply to the fresh clone\n`);
if (values["dry-run"]) {
    process.stderr.write("build:native: dry run, nothing patched or built\n");
    process.exit(0);
}
if (!values.check) {
    for (const [i, patch] of patches.entries()) {
        if (states[i] !== "unapplied") continue;
        const applied = spawnSync("patch", ["-p1", "--forward", "--force", "-i", patch.file], {cwd: packageDir, encoding: "utf8"});
        if (applied.status !== 0)
            fail(
                `applying ${path.relative(root, patch.file)} failed (another node-llama-cpp version? update the patch): ${(applied.stdout + applied.stderr).trim().replace(/\s+/gu, " ")}`
            );
        process.stderr.write(`build:native: ${patch.name} patch applied\n`);
    }
    const env = {...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "false"};
    const cloned = spawnSync(command[0], command.slice(1), {cwd: root, stdio: "inherit", env});
    if (cloned.status !== 0) fail(`cloning llama.cpp from the bundle failed (exit ${cloned.status ?? cloned.signal}); see the output above`);
    const patched = spawnSync("patch", ["-p1", "--forward", "--force", "-i", llamaPatch.file], {cwd: packageDir, encoding: "utf8"});
    if (patched.status !== 0)
        fail(
            `applying ${path.relative(root, llamaPatch.file)} failed (another llama.cpp release? update the patch): ${(patched.stdout + patched.stderr).trim().replace(/\s+/gu, " ")}`
        );
    process.stderr.write(`build:native: ${llamaPatch.name} patch applied\n`);
    process.stderr.write(
        `build:native: ${buildCommand.map((part) => (path.relative(root, part).startsWith("..") ? part : path.relative(root, part) || part)).join(" ")}\n`
    );
    const result = spawnSync(buildCommand[0], buildCommand.slice(1), {cwd: root, stdio: "inherit", env});
    if (result.status !== 0) fail(`the build failed (exit ${result.status ?? result.signal}); see the output above`);
}

// check the result: the placement export is in the new addon binary, and the build loads the way airlabel loads it
// (a GPU build cannot load where there is no GPU driver, e.g. in a docker build: then the binary check stands alone)
const buildsDir = path.join(packageDir, "llama", "localBuilds");
const folder = (fs.existsSync(buildsDir) ? fs.readdirSync(buildsDir) : []).find((name) => {
    try {
        const metadata = JSON.parse(fs.readFileSync(path.join(buildsDir, name, "Release", "_nlcBuildMetadata.json"), "utf8"));
        return String(metadata.buildOptions?.gpu) === gpu;
    } catch {
        return false;
    }
});
const addon = folder === undefined ? null : path.join(buildsDir, folder, "Release", "llama-addon.node");
if (addon === null || !fs.existsSync(addon))
    fail(`no ${values.gpu} build under node_modules/node-llama-cpp/llama/localBuilds; build it with: npm run build:native -- --gpu ${values.gpu}`);
const binary = fs.readFileSync(addon);
for (const patch of patches)
    if (!binary.includes(Buffer.from(patch.marker))) fail(`${path.relative(root, addon)} was built without the ${patch.name} patch; run the build again`);
const libllama = fs.readdirSync(path.dirname(addon)).find((name) => /^(lib)?llama(\.v[\d.]+)?\.(so|dylib|dll)$/u.test(name));
if (libllama !== undefined && !fs.readFileSync(path.join(path.dirname(addon), libllama)).includes(Buffer.from(llamaPatch.marker)))
    fail(`${path.relative(root, path.join(path.dirname(addon), libllama))} was built without the ${llamaPatch.name} patch; run the build again`);
const check = spawnSync(
    process.execPath,
    [
        "--input-type=module",
        "-e",
        `
    import {getLlama, LlamaLogLevel} from "node-llama-cpp";
    const llama = await getLlama({gpu: ${JSON.stringify(gpu === "false" ? false : gpu)}, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error});
    const placement = llama._bindings.getAirlabelPlacement?.();
    const decodeThread = llama._bindings.getAirlabelDecodeThread?.() === true;
    process.stdout.write(JSON.stringify({buildType: llama.buildType, placement: placement ?? null, decodeThread}));
    await llama.dispose();
`
    ],
    {cwd: root, encoding: "utf8"}
);
let loaded = null;
try {
    loaded = JSON.parse(check.stdout);
} catch {
    if (values.gpu === "cpu") fail(`the new build does not load: ${(check.stderr || check.stdout).trim().split("\n").at(-1)}`);
    process.stderr.write(
        `build:native: ${values.check ? "checked" : "done"}; ${path.relative(root, addon)} has the placement, decode-thread, sampling, steps, argmax and overlap patches (not loaded here: no ${values.gpu} device or driver on this machine)\n`
    );
    process.exit(0);
}
if (loaded.buildType !== "localBuild" || loaded.placement === null || !loaded.decodeThread)
    fail(`the new build loads as ${loaded.buildType} without the ${loaded.placement === null ? "placement" : "decode-thread"} patch; run the build again`);
process.stderr.write(
    `build:native: ${values.check ? "checked" : "done"}; the patched build loads (placement options: ${loaded.placement.options.join(", ")}; decodes on a thread per context); airlabel's startup line now says "llama.cpp host build"\n`
);
