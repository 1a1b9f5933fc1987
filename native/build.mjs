#!/usr/bin/env node
// Builds node-llama-cpp's llama.cpp backend for this machine from the llama.cpp source that the installed
// node-llama-cpp package ships (node_modules/node-llama-cpp/llama/gitRelease.bundle): no network needed.
// airlabel uses the result automatically (node-llama-cpp prefers a local build over its prebuilt binaries)
// and says so in its startup line ("llama.cpp host build").
//
//   npm run build:native -- --gpu cpu|cuda|metal|vulkan [--dry-run]
//
// On 2 cores a CPU build takes about 8 minutes. Needs cmake and a C++ compiler (and the CUDA toolkit for cuda).
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
    ({values} = parseArgs({options: {gpu: {type: "string", default: "cpu"}, "dry-run": {type: "boolean", default: false}}}));
} catch (err) {
    fail(`${err.message}; usage: npm run build:native -- --gpu cpu|cuda|metal|vulkan [--dry-run]`);
}
const gpu = gpus[values.gpu];
if (gpu === undefined) fail(`--gpu must be one of ${Object.keys(gpus).join(", ")} (got "${values.gpu}")`);

const cli = path.join(root, "node_modules", "node-llama-cpp", "dist", "cli", "cli.js");
const bundle = path.join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
if (!fs.existsSync(cli)) fail(`${cli} not found; run npm ci first`);
if (!fs.existsSync(bundle)) fail(`${bundle} not found: this node-llama-cpp does not ship llama.cpp's source, so it cannot be built offline`);

const missing = ["cmake", values.gpu === "cuda" ? "nvcc" : null, process.platform === "win32" ? null : "c++"]
    .filter((tool) => tool !== null && spawnSync(tool, ["--version"], {stdio: "ignore"}).status !== 0);
if (missing.length > 0) fail(`missing build tools: ${missing.join(", ")}; install them (e.g. apt-get install cmake g++) and retry`);

const infoFile = path.join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json");
// (a build in progress re-clones the source and rewrites this file)
const info = fs.existsSync(infoFile) ? JSON.parse(fs.readFileSync(infoFile, "utf8")) : {tag: "(shipped release)"};
const command = [process.execPath, cli, "source", "download", "--gpu", gpu, "--noUsageExample"];
process.stderr.write(`build:native: llama.cpp ${info.tag} for ${values.gpu}, from ${path.relative(root, bundle)}\n`);
process.stderr.write(`build:native: ${command.map((part) => path.relative(root, part).startsWith("..") ? part : path.relative(root, part) || part).join(" ")}\n`);
if (values["dry-run"]) {
    process.stderr.write("build:native: dry run, nothing built\n");
    process.exit(0);
}
const result = spawnSync(command[0], command.slice(1), {cwd: root, stdio: "inherit", env: {...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "false"}});
if (result.status !== 0) fail(`the build failed (exit ${result.status ?? result.signal}); see the output above`);
process.stderr.write(`build:native: done; airlabel's startup line now says "llama.cpp host build"\n`);
