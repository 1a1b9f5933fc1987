#!/usr/bin/env node
// Builds llama.cpp's llama-server from the llama.cpp source that the installed node-llama-cpp package ships
// (node_modules/node-llama-cpp/llama/gitRelease.bundle, at the tag in llama.cpp.info.json): no network needed.
// test/backends/llamaServer.test.ts runs airlabel's OpenAI backend against it.
//
//   npm run build:llama-server
//
// Output: node_modules/.cache/airlabel/llama-server/<tag>/llama-server (static, CPU, GGML_NATIVE), found by
// test/backends/support/llamaServerBinary.ts; a later call reuses it. A failed build is resumed by the next call
// (the source checkout and build folder stay); a finished one keeps only the binary and the logs (the 300 MB of
// source and objects would otherwise travel with node_modules, e.g. in ../shared/tools/bare-cuda's carry). The web UI is left out: its assets would be downloaded (HF bucket)
// or built with npm, so the server serves the API only.
//
// On 2 cores the first build takes about 8 to 15 minutes. Needs cmake, git and a C++ compiler.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const llamaDir = path.join(root, "node_modules", "node-llama-cpp", "llama");
const bundle = path.join(llamaDir, "gitRelease.bundle");
const info = path.join(llamaDir, "llama.cpp.info.json");

function fail(message) {
    process.stderr.write(`build:llama-server: ${message}\n`);
    process.exit(2);
}

if (!fs.existsSync(bundle) || !fs.existsSync(info)) fail(`${bundle} or ${info} not found; run npm ci first`);
const tag = JSON.parse(fs.readFileSync(info, "utf8")).tag;
if (typeof tag !== "string" || !/^[\w.-]+$/.test(tag)) fail(`${info} has no usable "tag" (got ${JSON.stringify(tag)})`);

const dir = path.join(root, "node_modules", ".cache", "airlabel", "llama-server", tag);
const name = process.platform === "win32" ? "llama-server.exe" : "llama-server";
const binary = path.join(dir, name);
const started = Date.now();

/** Runs a command with its output appended to `log`; fails naming the log when it exits non-zero. */
function run(what, command, args, log) {
    const fd = fs.openSync(log, "a");
    try {
        const result = spawnSync(command, args, {stdio: ["ignore", fd, fd]});
        if (result.error) fail(`${what} could not start (${result.error.message}); see ${log}`);
        if (result.status !== 0) fail(`${what} failed (exit ${result.status ?? result.signal}); see ${log}`);
    } finally {
        fs.closeSync(fd);
    }
}

const alreadyBuilt = fs.existsSync(binary);
if (!alreadyBuilt) {
    const missing = ["cmake", "git", process.platform === "win32" ? null : "c++"].filter(
        (tool) => tool !== null && spawnSync(tool, ["--version"], {stdio: "ignore"}).status !== 0
    );
    if (missing.length > 0) fail(`missing build tools: ${missing.join(", ")}; install them (e.g. apt-get install cmake g++ git) and retry`);
    fs.mkdirSync(dir, {recursive: true});
    const src = path.join(dir, "src");
    if (!fs.existsSync(path.join(src, "CMakeLists.txt"))) {
        const partial = `${src}.partial`;
        fs.rmSync(partial, {recursive: true, force: true});
        run("git clone of the llama.cpp bundle", "git", ["clone", "-q", bundle, partial], path.join(dir, "clone.log"));
        fs.rmSync(src, {recursive: true, force: true});
        fs.renameSync(partial, src);
    }
    process.stderr.write(`build:llama-server: building llama-server ${tag} into ${dir} (once; about 8 to 15 minutes on 2 cores)\n`);
    const cmakeLog = path.join(dir, "cmake.log");
    fs.rmSync(cmakeLog, {force: true});
    // LLAMA_BUILD_UI / LLAMA_USE_PREBUILT_UI off: no npm build and no download of the web UI's assets
    // LLAMA_OPENSSL off: no HTTPS client (the server is reached over plain HTTP on a local port)
    const options = [
        "-DCMAKE_BUILD_TYPE=Release",
        "-DBUILD_SHARED_LIBS=OFF",
        "-DGGML_NATIVE=ON",
        "-DLLAMA_BUILD_SERVER=ON",
        "-DLLAMA_BUILD_TOOLS=ON",
        "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF",
        "-DLLAMA_BUILD_APP=OFF",
        "-DLLAMA_BUILD_UI=OFF",
        "-DLLAMA_USE_PREBUILT_UI=OFF",
        "-DLLAMA_CURL=OFF",
        "-DLLAMA_OPENSSL=OFF"
    ];
    run("cmake configure", "cmake", ["-S", src, "-B", path.join(dir, "build"), ...options], cmakeLog);
    const buildLog = path.join(dir, "build.log");
    fs.rmSync(buildLog, {force: true});
    const jobs = String(os.availableParallelism());
    run("cmake --build --target llama-server", "cmake", ["--build", path.join(dir, "build"), "-j", jobs, "--target", "llama-server"], buildLog);
    const made = path.join(dir, "build", "bin", name);
    if (!fs.existsSync(made)) fail(`the build finished but ${made} is missing; see ${buildLog}`);
    fs.copyFileSync(made, `${binary}.partial`);
    fs.chmodSync(`${binary}.partial`, 0o755);
    fs.renameSync(`${binary}.partial`, binary);
    fs.rmSync(path.join(dir, "build"), {recursive: true, force: true});
    fs.rmSync(src, {recursive: true, force: true});
}

const version = spawnSync(binary, ["--version"], {encoding: "utf8"});
if (version.status !== 0) fail(`${binary} --version failed (exit ${version.status ?? version.signal}): ${(version.stderr ?? "").trim().split("\n").at(-1)}`);
const built = alreadyBuilt ? "already built" : `built in ${Math.round((Date.now() - started) / 1000)} s`;
process.stdout.write(`build:llama-server: llama-server ${tag} at ${binary} (${built})\n`);
