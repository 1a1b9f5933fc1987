#!/usr/bin/env node
// The npm registry mirror this project is developed against serves only node-llama-cpp's Linux
// prebuilt packages, so `npm install` here drops the macOS/Windows/riscv64 entries from
// package-lock.json and `npm ci` then refuses the lock as out of sync. This script restores those
// entries with their platform constraints (npm skips them on other platforms and fetches them
// normally on their own). Run it after any `npm install` that rewrites the lock file.
import {readFileSync, writeFileSync} from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const parent = lock.packages["node_modules/node-llama-cpp"];
if (parent == null) throw new Error("package-lock.json has no node-llama-cpp entry; run npm install first");

const platforms = {
    "linux-riscv64": {os: ["linux"], cpu: ["riscv64"], libc: ["glibc"]},
    "mac-arm64-metal": {os: ["darwin"], cpu: ["arm64"]},
    "mac-x64": {os: ["darwin"], cpu: ["x64"]},
    "win-arm64": {os: ["win32"], cpu: ["arm64"]},
    "win-x64": {os: ["win32"], cpu: ["x64"]},
    "win-x64-cuda": {os: ["win32"], cpu: ["x64"]},
    "win-x64-cuda-ext": {os: ["win32"], cpu: ["x64"]},
    "win-x64-vulkan": {os: ["win32"], cpu: ["x64"]}
};

let added = 0;
for (const [name, version] of Object.entries(parent.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] != null) continue;
    const platform = platforms[name.replace("@node-llama-cpp/", "")];
    if (platform == null) throw new Error(`unknown optional dependency ${name}: add its platform to scripts/complete-lockfile.mjs`);
    lock.packages[key] = {version, ...platform, license: "MIT", optional: true, engines: {node: ">=20.0.0"}};
    added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.error(`complete-lockfile: added ${added} platform entr${added === 1 ? "y" : "ies"}`);
