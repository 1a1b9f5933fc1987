import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {sha256OfFiles} from "../files/sha256OfFiles.js";

/**
 * Where the sha256 of model files are kept between runs: `$AIRLABEL_CACHE_DIR`, else `$XDG_CACHE_HOME/airlabel`, else
 * `~/.cache/airlabel`; one small JSON file per model file under `model-sha256/`.
 */
export function hashCacheDir(): string {
    const root = process.env.AIRLABEL_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "airlabel");
    return path.join(root, "model-sha256");
}

/** What a cached hash is valid for: the same path, and a file that is still the same inode, size and times. */
type FileKey = {path: string; dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number};

/**
 * The sha256 of a whole model file, computed once (the full read costs about a second per GB here, see the README)
 * and cached by path, device, inode, size, mtime and ctime, so that later runs pay a stat. Every write to the file
 * changes its ctime, which no `touch -r` can set back, so an edit in place is hashed again. A cache that cannot be
 * written only costs the hash on the next run. `onHashing` hears of a hash about to be computed (not of a cached one).
 */
export async function modelSha256(file: string, onHashing?: (bytes: number) => void): Promise<string> {
    const stat = await fs.stat(file);
    const key: FileKey = {path: path.resolve(file), dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs};
    const entry = path.join(hashCacheDir(), `${crypto.createHash("sha256").update(key.path).digest("hex").slice(0, 32)}.json`);
    const cached = await fs
        .readFile(entry, "utf8")
        .then((text) => JSON.parse(text) as FileKey & {sha256: string})
        .catch(() => null);
    if (cached !== null && typeof cached.sha256 === "string" && sameKey(cached, key)) return cached.sha256;
    onHashing?.(stat.size);
    const sha256 = await sha256OfFiles([file]);
    // the file changed while it was read: do not remember a hash of a mix
    const after = await fs.stat(file);
    if (after.mtimeMs !== stat.mtimeMs || after.ctimeMs !== stat.ctimeMs || after.size !== stat.size) return sha256;
    const tmp = `${entry}.${process.pid}.tmp`;
    await fs
        .mkdir(path.dirname(entry), {recursive: true})
        .then(() => fs.writeFile(tmp, JSON.stringify({...key, sha256})))
        .then(() => fs.rename(tmp, entry))
        .catch(() => fs.rm(tmp, {force: true}).catch(() => undefined));
    return sha256;
}

function sameKey(a: FileKey, b: FileKey): boolean {
    return a.path === b.path && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
