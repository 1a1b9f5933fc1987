import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import {OutputDirError, OutputLockedError, unwritableDirMessage} from "./outputErrors.js";
import {displayDir} from "./Manifest.js";

export const LOCK_FILE = ".airlabel.lock";

interface LockContent {
    pid: number;
    hostname: string;
    startedAt: string;
    /** The kernel's boot id (Linux): a lock from before a reboot is stale whatever its pid. Absent where unknown. */
    bootId?: string;
    /** When the owner started, in clock ticks since boot (field 22 of /proc/<pid>/stat): a pid now held by another process starts at another time. Absent where unknown. */
    pidStart?: string;
}

/** The kernel's boot id, or undefined off Linux. */
async function bootId(): Promise<string | undefined> {
    const text = await fs.readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => undefined);
    return text?.trim() || undefined;
}

/** When process `pid` started (clock ticks since boot), or undefined when it is gone or off Linux. */
export async function processStartTime(pid: number): Promise<string | undefined> {
    const text = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; starttime is the 20th field after it
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[19];
}

/**
 * Whether the lock's owner is surely gone: the machine was rebooted since, its pid is free, or the pid now belongs
 * to a process that started at another time (a reused pid; airlabel restarted as PID 1 of a container).
 */
async function ownerIsGone(holder: LockContent): Promise<boolean> {
    const boot = await bootId();
    if (holder.bootId !== undefined && boot !== undefined && holder.bootId !== boot) return true;
    if (!isAlive(holder.pid)) return true;
    if (holder.pidStart === undefined) return false;
    const started = await processStartTime(holder.pid);
    return started !== undefined && started !== holder.pidStart;
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
        if (
            typeof value.pid === "number" &&
            typeof value.hostname === "string" &&
            typeof value.startedAt === "string" &&
            (value.bootId === undefined || typeof value.bootId === "string") &&
            (value.pidStart === undefined || typeof value.pidStart === "string")
        )
            return value as LockContent;
    } catch {
        // torn or foreign content
    }
    return undefined;
}

/**
 * Exclusive lock on an output dir: `dir/.airlabel.lock` holding `{pid, hostname, startedAt, bootId, pidStart}`.
 * The lock file appears with its full content at once (written aside, then hard-linked into place, which fails
 * when a lock exists). A lock whose owner on this host is gone is taken over: its pid is free, the machine was
 * rebooted since (boot id), or the pid now belongs to a process started at another time (pid reuse).
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
        const [boot, pidStart] = await Promise.all([bootId(), processStartTime(process.pid)]);
        const content = JSON.stringify({
            pid: process.pid,
            hostname: os.hostname(),
            startedAt: new Date().toISOString(),
            ...(boot !== undefined ? {bootId: boot} : {}),
            ...(pidStart !== undefined ? {pidStart} : {})
        });
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
            if (holder !== undefined && !(await ownerIsGone(holder)))
                throw new OutputLockedError(
                    `output dir ${displayDir(dir)} is in use by process ${holder.pid} (started ${holder.startedAt}); wait for it to finish or use another --output; ` +
                        `if no airlabel run uses it (that process ended and its pid was reused), delete ${displayDir(dir)}${LOCK_FILE} and re-run`
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
            throw new OutputLockedError(`output dir ${displayDir(dir)} was just taken by another process; wait for it to finish or use another --output`);
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
            throw new OutputDirError(unwritableDirMessage(displayDir(dir), error), {cause: error});
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
