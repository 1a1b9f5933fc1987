import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";

/** The versions of the engine's parts a run records: node-llama-cpp, and the llama.cpp release it builds from. */
export type EngineVersions = {nodeLlamaCpp: string | null; llamaCpp: string | null};

/** node-llama-cpp's version and its llama.cpp release tag, read from its installed files (null where unreadable). */
export function engineVersions(): EngineVersions {
    try {
        // the package's main entry lies under <root>/dist; its package.json is not an exported path
        let root = path.dirname(createRequire(import.meta.url).resolve("node-llama-cpp"));
        while (!fs.existsSync(path.join(root, "package.json")) && path.dirname(root) !== root) root = path.dirname(root);
        const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), "utf8")) as Record<string, unknown>;
        const info = fs.existsSync(path.join(root, "llama", "llama.cpp.info.json")) ? read(path.join("llama", "llama.cpp.info.json")) : {};
        return {nodeLlamaCpp: String(read("package.json").version ?? "") || null, llamaCpp: typeof info.tag === "string" ? info.tag : null};
    } catch {
        return {nodeLlamaCpp: null, llamaCpp: null};
    }
}
