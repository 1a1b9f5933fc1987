import fs from "node:fs/promises";
import path from "node:path";
import {crashPoint, crashPointsArmed} from "./crashPoint.js";

/** fsync a directory so a rename/create/unlink inside it survives a power cut (no-op where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
    let handle: fs.FileHandle | undefined;
    try {
        handle = await fs.open(dir, "r");
        await handle.sync();
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // some filesystems/platforms refuse fsync on a directory; nothing more can be done there
        if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOTSUP") throw error;
    } finally {
        await handle?.close();
    }
}

/** Where `writeFileDurable` is: names of its crash points (`<kind>-mid-write`, `<kind>-before-rename`). */
export interface DurableWriteOptions {
    /** What the file is, for crash points of fault-injection tests (`shard`, `manifest`). Defaults to "file". */
    kind?: string;
    /** Called after the temp file is complete and fsynced, just before it is renamed over `file`. Defaults to none. */
    beforeRename?: () => Promise<void>;
}

/**
 * Write `bytes` to `file` so that `file` is either its old content or the complete new content after a crash:
 * write `<file>.tmp`, fsync it, rename over `file`, fsync the directory.
 * On failure the temp file is removed and the error is rethrown.
 */
export async function writeFileDurable(file: string, bytes: Uint8Array | string, options: DurableWriteOptions = {}): Promise<void> {
    const kind = options.kind ?? "file";
    const tmp = file + ".tmp";
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
    try {
        const handle = await fs.open(tmp, "w");
        try {
            if (crashPointsArmed()) {
                // two writes, so that a fault-injection test can kill the process with half a file on disk
                const half = data.byteLength >> 1;
                await handle.writeFile(data.subarray(0, half));
                crashPoint(`${kind}-mid-write`);
                await handle.writeFile(data.subarray(half));
            } else await handle.writeFile(data);
            await handle.sync();
        } finally {
            await handle.close();
        }
        crashPoint(`${kind}-before-rename`);
        await options.beforeRename?.();
        await fs.rename(tmp, file);
    } catch (error) {
        await fs.rm(tmp, {force: true}).catch(() => undefined);
        throw error;
    }
    await fsyncDir(path.dirname(file));
    crashPoint(`${kind}-after-rename`);
}
