import fs from "node:fs/promises";
import path from "node:path";
import {displayDir} from "./Manifest.js";
import {OutputLock} from "./OutputLock.js";
import {OutputDirError, unwritableDirMessage} from "./outputErrors.js";

/** The folders airlabel writes inside an output dir; each must be a real directory there, never a link out of it. */
export const OUTPUT_SUBDIRS = ["data", "errors", "damaged", "cache"] as const;

/**
 * Takes an output dir for one process before anything is written into it (the prepared cache included): creates it,
 * checks it is a writable directory, takes its lock (`.airlabel.lock`), and refuses a `data/`, `errors/`, `damaged/`
 * or `cache/` that is a symbolic link or not a directory. The caller owns the returned lock (`OutputStore.open`
 * takes it over).
 */
export async function lockOutputDir(dir: string): Promise<OutputLock> {
    const shown = displayDir(dir);
    try {
        await fs.mkdir(dir, {recursive: true});
        const stat = await fs.stat(dir);
        if (!stat.isDirectory()) throw new OutputDirError(`output dir ${shown} is a file, not a directory; choose another --output`);
        await fs.access(dir, fs.constants.W_OK);
    } catch (error) {
        if (error instanceof OutputDirError) throw error;
        throw new OutputDirError(unwritableDirMessage(shown, error), {cause: error});
    }
    const lock = await OutputLock.acquire(dir);
    try {
        await refuseLinkedSubdirs(dir);
    } catch (error) {
        await lock.release();
        throw error;
    }
    return lock;
}

/**
 * data/, errors/, damaged/ and cache/ must be real directories inside the output dir: a symbolic link there would
 * make airlabel write (and delete) files somewhere else.
 */
async function refuseLinkedSubdirs(dir: string): Promise<void> {
    for (const sub of OUTPUT_SUBDIRS) {
        const stat = await fs.lstat(path.join(dir, sub)).catch(() => undefined);
        if (stat === undefined || stat.isDirectory()) continue;
        const what = stat.isSymbolicLink() ? "a symbolic link" : "not a directory";
        throw new OutputDirError(
            `${displayDir(dir)}${sub} is ${what}; airlabel writes only real directories inside the output dir: remove ${displayDir(dir)}${sub}, or use another --output`
        );
    }
}
