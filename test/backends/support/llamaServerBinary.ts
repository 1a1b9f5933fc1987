import fs from "node:fs";
import path from "node:path";
import {repoRoot} from "../../support/fixtures.js";

/**
 * Where `npm run build:llama-server` (scripts/build-llama-server.mjs) puts llama.cpp's llama-server: built from the
 * llama.cpp source the installed node-llama-cpp ships, at the tag in its llama.cpp.info.json.
 */
export function llamaServerBinary(): string {
    const info = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json");
    const {tag} = JSON.parse(fs.readFileSync(info, "utf8")) as {tag: string};
    const name = process.platform === "win32" ? "llama-server.exe" : "llama-server";
    return path.join(repoRoot, "node_modules", ".cache", "airlabel", "llama-server", tag, name);
}
