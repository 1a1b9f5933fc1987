import crypto from "node:crypto";
import {createReadStream} from "node:fs";

/** Read size of the hashing streams: large reads keep a multi-gigabyte file at the disk's and sha256's speed. */
const chunkBytes = 4 * 1024 * 1024;

/**
 * The sha256 (hex) of files' content, read as a stream in constant memory: of one file alone, or of several in order,
 * each preceded by its name in `names` (so that moving content from one file to the next changes the hash).
 */
export async function sha256OfFiles(files: readonly string[], names?: readonly string[]): Promise<string> {
    const hash = crypto.createHash("sha256");
    for (const [i, file] of files.entries()) {
        if (names !== undefined) hash.update(`${names[i]}\n`);
        for await (const chunk of createReadStream(file, {highWaterMark: chunkBytes})) hash.update(chunk as Buffer);
    }
    return hash.digest("hex");
}
