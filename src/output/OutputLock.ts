import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import {OutputDirError, OutputLockedError, errorCodeOf} from "./outputErrors.js";
import {displayDir} from "./Manifest.js";

export const LOCK_FILE = ".airlabel.lock";

interface LockContent {
    pid: number;
    hostname: string;
    startedAt: string;
}

/** Whether a process with this pid runs on this host. */
export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: the process exists but belongs to someone else
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

function parseLock(text: string): LockContent | undefined {
    try {
        const value = JSON.parse(text) as Partial<LockContent>;
        if (typeof value.pid === "number" && typeof value.hostname === "string" && typeof value.startedAt === "string")
            return value as LockContent;
    } catch {
        // torn or foreign content
    }
    return undefined;
}

/**
 * Exclusive lock on an output dir: `dir/.airlabel.lock` holding `{pid, hostname, startedAt}`.
 * The lock file appears with its full content at once (written aside, then hard-linked into place, which fails
 * when a lock exists). A lock left by a dead process on this host is taken over.
 */
export class OutputLock {
    readonly #file: string;
    readonly #content: string;
    #held = false;

    private constructor(file: string, content: string) {
        this.#file = file;
        this.#content = content;
    }

    public static async acquire(dir: string): Promise<OutputLock> {
        const file = path.join(dir, LOCK_FILE);
        const content = JSON.stringify({pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString()});
        const lock = new OutputLock(file, content);
        for (let attempt = 0; attempt < 5; attempt++) {
            if (await lock.#tryCreate(dir)) return lock;
            const text = await fs.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
                if (error.code === "ENOENT") return undefined;
                throw error;
            });
            if (text === undefined) continue; // released meanwhile: try again
            const holder = parseLock(text);
            if (holder !== undefined && holder.hostname !== os.hostname())
                throw new OutputLockedError(
                    `output dir ${displayDir(dir)} is in use by process ${holder.pid} on host ${holder.hostname} (started ${holder.startedAt}); wait for it to finish, or delete ${displayDir(dir)}${LOCK_FILE} if no airlabel run uses it`
                );
            if (holder !== undefined && isAlive(holder.pid))
                throw new OutputLockedError(
                    `output dir ${displayDir(dir)} is in use by process ${holder.pid} (started ${holder.startedAt}); wait for it to finish or use another --output`
                );
            await OutputLock.#removeStale(dir, file, text);
        }
        throw new OutputLockedError(
            `output dir ${displayDir(dir)} is in use by another process (its lock keeps changing); wait for it to finish or use another --output`
        );
    }

    /** Move a stale lock aside, making sure it is still the stale one (another process may have replaced it). */
    static async #removeStale(dir: string, file: string, staleText: string): Promise<void> {
        const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.stale`;
        try {
            await fs.rename(file, aside);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
            throw error;
        }
        const moved = await fs.readFile(aside, "utf8").catch(() => staleText);
        if (moved !== staleText) {
            // someone took the lock between our read and our rename: give it back
            await fs.link(aside, file).catch(() => undefined);
            await fs.rm(aside, {force: true});
            throw new OutputLockedError(
                `output dir ${displayDir(dir)} was just taken by another process; wait for it to finish or use another --output`
            );
        }
        await fs.rm(aside, {force: true});
    }

    async #tryCreate(dir: string): Promise<boolean> {
        const aside = `${this.#file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
        try {
            await fs.writeFile(aside, this.#content, {flag: "wx"});
            try {
                await fs.link(aside, this.#file);
            } catch (error) {
                const code = (error as NodeJS.ErrnoException).code;
                if (code === "EEXIST") return false;
                if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw error;
                // filesystem without hard links: fall back to an exclusive create
                try {
                    await fs.writeFile(this.#file, this.#content, {flag: "wx"});
                } catch (inner) {
                    if ((inner as NodeJS.ErrnoException).code === "EEXIST") return false;
                    throw inner;
                }
            }
            this.#held = true;
            return true;
        } catch (error) {
            throw new OutputDirError(
                `output dir ${displayDir(dir)} is not writable (${errorCodeOf(error)}); choose another --output`,
                {cause: error}
            );
        } finally {
            await fs.rm(aside, {force: true}).catch(() => undefined);
        }
    }

    /** Remove the lock file if it is still ours. Safe to call twice. */
    public async release(): Promise<void> {
        if (!this.#held) return;
        this.#held = false;
        const text = await fs.readFile(this.#file, "utf8").catch(() => undefined);
        if (text === this.#content) await fs.rm(this.#file, {force: true});
    }
}
