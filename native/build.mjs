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
// Before building, it applies native/patches/airlabel-placement.patch to node-llama-cpp's addon source (idempotent:
// an already patched source is left as it is), so the addon reads llama.cpp's model placement parameters
// (splitMode, tensorSplit, mainGpu, devices) per model and exports getAirlabelPlacement(), by which airlabel
// detects the patched build at run time. After building, it loads the new addon and checks that export.
//
// On 2 cores a CPU build takes about 6 minutes. Needs cmake, git, patch and a C++ compiler (and the CUDA toolkit for cuda).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
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
    ({values} = parseArgs({options: {gpu: {type: "string", default: "cpu"}, "dry-run": {type: "boolean", default: false}, check: {type: "boolean", default: false}}}));
} catch (err) {
    fail(`${err.message}; usage: npm run build:native -- --gpu cpu|cuda|metal|vulkan [--dry-run | --check]`);
}
const gpu = gpus[values.gpu];
if (gpu === undefined) fail(`--gpu must be one of ${Object.keys(gpus).join(", ")} (got "${values.gpu}")`);

const cli = path.join(root, "node_modules", "node-llama-cpp", "dist", "cli", "cli.js");
const bundle = path.join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
if (!fs.existsSync(cli)) fail(`${cli} not found; run npm ci first`);
if (!fs.existsSync(bundle)) fail(`${bundle} not found: this node-llama-cpp does not ship llama.cpp's source, so it cannot be built offline`);

const missing = ["cmake", "patch", "git", values.gpu === "cuda" ? "nvcc" : null, process.platform === "win32" ? null : "c++"]
    .filter((tool) => tool !== null && spawnSync(tool, ["--version"], {stdio: "ignore"}).status !== 0);
if (missing.length > 0) fail(`missing build tools: ${missing.join(", ")}; install them (e.g. apt-get install cmake g++) and retry`);

const packageDir = path.join(root, "node_modules", "node-llama-cpp");
const patchFile = path.join(root, "native", "patches", "airlabel-placement.patch");

/** "applied", "unapplied", or "conflict" (the addon source matches neither side of the patch). */
function patchState() {
    const dryRun = (...flags) => spawnSync("patch", ["-p1", "--dry-run", "--force", "--silent", ...flags, "-i", patchFile], {cwd: packageDir, stdio: "ignore"}).status === 0;
    if (dryRun("--reverse")) return "applied";
    if (dryRun("--forward")) return "unapplied";
    return "conflict";
}

const state = patchState();
if (state === "conflict") fail(`${path.relative(root, patchFile)} does not apply to node_modules/node-llama-cpp/llama/addon (another node-llama-cpp version?); update the patch for this version`);

const infoFile = path.join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json");
// (a build in progress re-clones the source and rewrites this file)
const info = fs.existsSync(infoFile) ? JSON.parse(fs.readFileSync(infoFile, "utf8")) : {tag: "(shipped release)"};
const command = [process.execPath, cli, "source", "download", "--gpu", gpu, "--noUsageExample"];
process.stderr.write(`build:native: llama.cpp ${info.tag} for ${values.gpu}, from ${path.relative(root, bundle)}\n`);
process.stderr.write(`build:native: ${command.map((part) => path.relative(root, part).startsWith("..") ? part : path.relative(root, part) || part).join(" ")}\n`);
process.stderr.write(`build:native: placement patch ${path.relative(root, patchFile)}: ${state === "applied" ? "already applied" : "to apply"}\n`);
if (values["dry-run"]) {
    process.stderr.write("build:native: dry run, nothing patched or built\n");
    process.exit(0);
}
if (!values.check) {
    if (state === "unapplied") {
        const applied = spawnSync("patch", ["-p1", "--forward", "--force", "-i", patchFile], {cwd: packageDir, encoding: "utf8"});
        if (applied.status !== 0) fail(`applying ${path.relative(root, patchFile)} failed: ${(applied.stdout + applied.stderr).trim().replace(/\s+/gu, " ")}`);
        process.stderr.write("build:native: placement patch applied\n");
    }
    const result = spawnSync(command[0], command.slice(1), {cwd: root, stdio: "inherit", env: {...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "false"}});
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
if (addon === null || !fs.existsSync(addon)) fail(`no ${values.gpu} build under node_modules/node-llama-cpp/llama/localBuilds; build it with: npm run build:native -- --gpu ${values.gpu}`);
if (!fs.readFileSync(addon).includes(Buffer.from("getAirlabelPlacement"))) fail(`${path.relative(root, addon)} was built without the placement patch; run the build again`);
const check = spawnSync(process.execPath, ["--input-type=module", "-e", `
    import {getLlama, LlamaLogLevel} from "node-llama-cpp";
    const llama = await getLlama({gpu: ${JSON.stringify(gpu === "false" ? false : gpu)}, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error});
    const placement = llama._bindings.getAirlabelPlacement?.();
    process.stdout.write(JSON.stringify({buildType: llama.buildType, placement: placement ?? null}));
    await llama.dispose();
`], {cwd: root, encoding: "utf8"});
let loaded = null;
try {
    loaded = JSON.parse(check.stdout);
} catch {
    if (values.gpu === "cpu") fail(`the new build does not load: ${(check.stderr || check.stdout).trim().split("\n").at(-1)}`);
    process.stderr.write(`build:native: ${values.check ? "checked" : "done"}; ${path.relative(root, addon)} has the placement patch (not loaded here: no ${values.gpu} device or driver on this machine)\n`);
    process.exit(0);
}
if (loaded.buildType !== "localBuild" || loaded.placement === null) fail(`the new build loads as ${loaded.buildType} without the placement patch; run the build again`);
process.stderr.write(`build:native: ${values.check ? "checked" : "done"}; the patched build loads (placement options: ${loaded.placement.options.join(", ")}); airlabel's startup line now says "llama.cpp host build"\n`);
