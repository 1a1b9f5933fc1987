import fs from "node:fs/promises";
import path from "node:path";

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

/**
 * Write `bytes` to `file` so that `file` is either its old content or the complete new content after a crash:
 * write `<file>.tmp`, fsync it, rename over `file`, fsync the directory.
 * On failure the temp file is removed and the error is rethrown.
 */
export async function writeFileDurable(file: string, bytes: Uint8Array | string): Promise<void> {
    const tmp = file + ".tmp";
    try {
        const handle = await fs.open(tmp, "w");
        try {
            await handle.writeFile(bytes);
            await handle.sync();
        } finally {
            await handle.close();
        }
        await fs.rename(tmp, file);
    } catch (error) {
        await fs.rm(tmp, {force: true}).catch(() => undefined);
        throw error;
    }
    await fsyncDir(path.dirname(file));
}
