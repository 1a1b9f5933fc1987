import {spawn} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {parquetReadObjects} from "hyparquet";
import {expect} from "vitest";
import {cliPath, generatedModel, repoRoot, tempDir, writeJsonl} from "../support/fixtures.js";

/**
 * Fault-injection harness: runs the real CLI (dist/cli/main.js) in a child process with the crash preload, on the
 * real engine and a generated model, and checks the output dir's invariants after every fault.
 */

export const crashPreload = path.join(repoRoot, "test", "faults", "crashPreload.mjs");

export type RunResult = {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    pid: number;
    ms: number;
    /** ms from the start to the first stderr line matching `killAfterLine.pattern` or `watchLine`; -1 when none. */
    lineMs: number;
};

export interface RunOptions {
    /** `name[:n]`: SIGKILL at the n-th hit of crash point `name` (test/faults/crashPreload.mjs). */
    crashAt?: string;
    /** File that receives every crash point reached, one per line. */
    crashLog?: string;
    /** SIGKILL the process this many ms after it starts (unless it has exited). */
    killAfterMs?: number;
    /** `ulimit -f` in KiB: writes past it fail with EFBIG (node ignores SIGXFSZ). */
    fileSizeLimitKb?: number;
    /** Command to run before airlabel in the same shell (`unshare -n` and such go through `wrap`). */
    wrap?: string[];
    /** Called once the child runs. */
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
    /** SIGKILL the process this many ms after a stderr line matching `pattern` (unless it has exited). */
    killAfterLine?: {pattern: RegExp; ms: number};
    /** Note when a stderr line matches (`lineMs` of the result). */
    watchLine?: RegExp;
    env?: Record<string, string>;
}

/** Run `airlabel <args>` in a child process (through bash when a ulimit or wrapper is asked for). */
export function runAirlabel(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const env: Record<string, string | undefined> = {...process.env, ...options.env};
    delete env.AIRLABEL_CRASH_AT;
    delete env.AIRLABEL_CRASH_LOG;
    if (options.crashAt !== undefined) env.AIRLABEL_CRASH_AT = options.crashAt;
    if (options.crashLog !== undefined) env.AIRLABEL_CRASH_LOG = options.crashLog;
    const nodeArgs = ["--import", crashPreload, cliPath, ...args];
    let command = process.execPath;
    let argv = nodeArgs;
    if (options.fileSizeLimitKb !== undefined || options.wrap !== undefined) {
        const quoted = [...(options.wrap ?? []), process.execPath, ...nodeArgs].map((arg) => `'${arg.replace(/'/gu, "'\\''")}'`).join(" ");
        command = "bash";
        argv = ["-c", `${options.fileSizeLimitKb !== undefined ? `ulimit -f ${options.fileSizeLimitKb}; ` : ""}exec ${quoted}`];
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, argv, {cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
        });
        let lineTimer: NodeJS.Timeout | undefined;
        let lineMs = -1;
        const watched = options.killAfterLine?.pattern ?? options.watchLine;
        child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
            if (watched === undefined || lineMs >= 0 || !watched.test(stderr)) return;
            lineMs = performance.now() - started;
            const after = options.killAfterLine;
            if (after !== undefined) lineTimer = setTimeout(() => child.kill("SIGKILL"), after.ms);
        });
        const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
        options.onSpawn?.(child);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            clearTimeout(lineTimer);
            resolve({code, signal, stdout, stderr, pid: child.pid ?? -1, ms: performance.now() - started, lineMs});
        });
    });
}

/** The test job: `rows` rows (every fifth one a copy of the row before: identical prompts are distinct rows). */
export interface FaultJob {
    model: string;
    dir: string;
    input: string;
    /** idx of every input row: 0..rows-1. */
    inputIdx: number[];
    /** CLI args of the job writing to `output` (extra args appended). */
    args: (output: string, ...extra: string[]) => string[];
}

/**
 * Options of `faultJob`. Rows whose idx % 11 === 7 are longer than the context (`--context-size 128`): they go to
 * errors/ in prepare, so that both shard kinds are written.
 */
export interface FaultJobOptions {
    /** A `blob` column of this many bytes in every row, kept in the output (not in the prompt). Defaults to none. */
    blobBytes?: number;
    /** --shard-size. Defaults to 3. */
    shardSize?: number;
    /** --parallel. Defaults to 2. */
    parallel?: number;
}

export async function faultJob(rows = 120, options: FaultJobOptions = {}): Promise<FaultJob> {
    const model = await generatedModel();
    const dir = tempDir();
    const records = Array.from({length: rows}, (_, i) => {
        const source = i % 5 === 4 ? i - 1 : i;
        const text = source % 11 === 7 ? `too long ${"word ".repeat(80)}` : `review ${source}: ${"so good ".repeat(source % 4)}`;
        return {id: i, text, ...(options.blobBytes !== undefined ? {blob: "b".repeat(options.blobBytes)} : {})};
    });
    const input = writeJsonl(path.join(dir, "in.jsonl"), records);
    return {
        model,
        dir,
        input,
        inputIdx: records.map((_, i) => i),
        args: (output, ...extra) => [
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "-p",
            "Label this: {text}",
            "--choices",
            "good,bad",
            "--max-tokens",
            "6",
            "--context-size",
            "128",
            "--shard-size",
            String(options.shardSize ?? 3),
            "--parallel",
            String(options.parallel ?? 2),
            "--gpu",
            "cpu",
            ...extra
        ]
    };
}

/** What checkInvariants saw: the committed shard files with their sha256, and whether the run is complete. */
export interface Snapshot {
    shards: Map<string, string>;
    idx: number[];
    complete: boolean;
}

export interface InvariantOptions {
    /** The state before the run that just ended: every shard committed then must still be committed, byte for byte. */
    previous?: Snapshot;
    /**
     * True when a process has started on the dir since the last kill (it completed, stopped, or failed cleanly):
     * then no temp file may be left and data/ and errors/ hold exactly the shards the manifest lists.
     */
    settled?: boolean;
    /** Shard files the previous snapshot had that may be gone (damaged on purpose by the test). */
    dropped?: string[];
}

function readRows(file: string, bytes: Buffer): Promise<Record<string, unknown>[]> | Record<string, unknown>[] {
    if (file.endsWith(".jsonl")) {
        const text = bytes.toString("utf8");
        expect(text === "" || text.endsWith("\n"), `${file} ends with a newline`).toBe(true);
        return text
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
    }
    if (file.endsWith(".parquet")) {
        const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        return parquetReadObjects({file: buffer, columns: ["idx"]}).then((rows) => rows.map((row) => ({idx: Number(row.idx)})));
    }
    throw new Error(`harness reads .jsonl and .parquet shards, not ${file}`);
}

function tempFilesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, {recursive: true, encoding: "utf8"}).filter((name) => name.endsWith(".tmp"));
}

/**
 * The four invariants of a fault-tolerant output dir, read independently of airlabel's own reader:
 * 1. every shard the manifest names is on disk whole (size and sha256 as recorded) and readable, with as many rows
 *    as recorded; no idx appears twice across data and errors; every idx is an input row; once the manifest says
 *    complete, the idx are exactly the input's;
 * 2. (settled) no temp files, and data/ and errors/ hold only the shards the manifest names;
 * 3. the manifest never names a missing or short shard (1 checks it);
 * 4. (previous) every shard committed before is still committed with the same bytes: nothing committed was
 *    generated again.
 */
export async function checkInvariants(outputDir: string, inputIdx: readonly number[], options: InvariantOptions = {}): Promise<Snapshot> {
    const manifestFile = path.join(outputDir, "manifest.json");
    const snapshot: Snapshot = {shards: new Map(), idx: [], complete: false};
    if (!fs.existsSync(manifestFile)) {
        // killed before its first manifest: nothing may be committed
        expect(options.previous?.shards.size ?? 0, "a manifest disappeared").toBe(0);
        for (const sub of ["data", "errors"]) {
            const dir = path.join(outputDir, sub);
            if (options.settled === true && fs.existsSync(dir)) expect(fs.readdirSync(dir), `${sub}/ without a manifest`).toEqual([]);
        }
        return snapshot;
    }
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as {
        complete: boolean;
        shards: {
            rows: number;
            data: {file: string; rows: number; sha256: string; bytes: number} | null;
            errors: {file: string; rows: number; sha256: string; bytes: number} | null;
        }[];
    };
    const inputSet = new Set(inputIdx);
    const seen = new Set<number>();
    for (const shard of manifest.shards) {
        let rows = 0;
        for (const entry of [shard.data, shard.errors]) {
            if (entry === null) continue;
            const file = path.join(outputDir, entry.file);
            expect(path.resolve(file).startsWith(path.resolve(outputDir) + path.sep), `${entry.file} stays inside the output dir`).toBe(true);
            expect(fs.existsSync(file), `manifest names ${entry.file}, which is missing`).toBe(true);
            const bytes = fs.readFileSync(file);
            expect(bytes.byteLength, `${entry.file} size`).toBe(entry.bytes);
            const sha = crypto.createHash("sha256").update(bytes).digest("hex");
            expect(sha, `${entry.file} sha256`).toBe(entry.sha256);
            const records = await readRows(entry.file, bytes);
            expect(records.length, `${entry.file} rows`).toBe(entry.rows);
            for (const record of records) {
                const idx = Number(record.idx);
                expect(inputSet.has(idx), `${entry.file} holds idx ${idx}, not an input row`).toBe(true);
                expect(seen.has(idx), `idx ${idx} committed twice (again in ${entry.file})`).toBe(false);
                seen.add(idx);
            }
            rows += entry.rows;
            snapshot.shards.set(entry.file, sha);
        }
        expect(rows, "a shard entry's rows are its data + error rows").toBe(shard.rows);
    }
    snapshot.idx = [...seen].sort((a, b) => a - b);
    snapshot.complete = manifest.complete;
    if (manifest.complete) expect(snapshot.idx, "a complete run holds every input idx exactly once").toEqual([...inputIdx].sort((a, b) => a - b));
    if (options.previous !== undefined) {
        const dropped = new Set(options.dropped ?? []);
        for (const [file, sha] of options.previous.shards) {
            if (dropped.has(file)) continue;
            expect(snapshot.shards.get(file), `${file} was committed before the resume and must stay as it was`).toBe(sha);
        }
    }
    if (options.settled === true) {
        expect(tempFilesUnder(outputDir), "temp files left after a start").toEqual([]);
        for (const sub of ["data", "errors"]) {
            const dir = path.join(outputDir, sub);
            const onDisk = fs.existsSync(dir)
                ? fs
                      .readdirSync(dir)
                      .map((name) => `${sub}/${name}`)
                      .sort()
                : [];
            expect(onDisk, `${sub}/ holds only committed shards`).toEqual([...snapshot.shards.keys()].filter((file) => file.startsWith(`${sub}/`)).sort());
        }
    }
    return snapshot;
}

/** A small seeded PRNG (mulberry32), so that a failing kill schedule can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** The one line of stderr (after `airlabel: `) that matches, for message checks. */
export function stderrLines(result: RunResult): string[] {
    return result.stderr.split("\n").filter((line) => line.trim() !== "");
}

/** The line the CLI prints once the engine is loaded and generation starts. */
export const ENGINE_READY = /airlabel: engine: /u;

export interface KillLoopResult {
    kills: number;
    /** Runs that completed (each got a fresh output dir after). */
    completedRuns: number;
    /** Kill moments, in ms: `s<ms>` from the start, `g<ms>` after generation started. */
    schedule: string[];
}

/**
 * SIGKILL runs of `job` at seeded random moments, `kills` times, resuming each time and checking the invariants
 * after every kill; a run that completes before its kill moment is checked and followed by a fresh one (formats
 * alternate). A fifth of the kills fall anywhere in the run (start-up included), the rest while the rows left are
 * generated and committed.
 */
export async function killLoop(
    job: FaultJob,
    options: {seed: number; kills: number; formats: string[]; log?: (line: string) => void}
): Promise<KillLoopResult> {
    const random = seededRandom(options.seed);
    // the run's length and its generation phase, from one uninterrupted run of the same job
    const reference = path.join(job.dir, `reference-${options.seed}`);
    const full = await runAirlabel(job.args(reference, "--format", options.formats[0]!), {watchLine: ENGINE_READY});
    expect(full.code, full.stderr).toBe(0);
    expect((await checkInvariants(reference, job.inputIdx, {settled: true})).complete).toBe(true);
    expect(full.lineMs, full.stderr).toBeGreaterThan(0);
    const runMs = full.ms;
    // generating and committing one row, so that a kill moment can be drawn within the work a resumed run has left
    const rowMs = (full.ms - full.lineMs) / job.inputIdx.length;

    const result: KillLoopResult = {kills: 0, completedRuns: 0, schedule: []};
    let output = "";
    let previous: Snapshot | undefined;
    while (result.kills < options.kills) {
        if (previous === undefined) output = path.join(tempDir(), `run-${result.completedRuns}`);
        const format = options.formats[result.completedRuns % options.formats.length]!;
        const anywhere = random() < 0.2;
        const left = job.inputIdx.length - (previous?.idx.length ?? 0);
        const ms = Math.round((anywhere ? runMs : rowMs * left) * random());
        result.schedule.push(`${anywhere ? "s" : "g"}${ms}`);
        const run = await runAirlabel(job.args(output, "--format", format), anywhere ? {killAfterMs: ms} : {killAfterLine: {pattern: ENGINE_READY, ms}});
        options.log?.(
            `kill ${result.schedule.at(-1)}: ${run.signal ?? `exit ${run.code}`} after ${Math.round(run.ms)} ms, ${previous?.idx.length ?? 0} rows committed before`
        );
        if (run.signal === "SIGKILL") {
            result.kills++;
            previous = await checkInvariants(output, job.inputIdx, previous === undefined ? {} : {previous});
            continue;
        }
        // it finished before its kill moment: the run is complete; the next kills go to a fresh run
        expect(run.code, run.stderr).toBe(0);
        const snapshot = await checkInvariants(output, job.inputIdx, {settled: true, ...(previous !== undefined ? {previous} : {})});
        expect(snapshot.complete).toBe(true);
        previous = undefined;
        result.completedRuns++;
    }
    // the last run resumes to completion without generating anything already committed again
    const last = await runAirlabel(job.args(output, "--format", options.formats[result.completedRuns % options.formats.length]!, "--json"));
    expect(last.code, last.stderr).toBe(0);
    const summary = JSON.parse(last.stdout) as {resumedRows: number; doneRows: number; totalRows: number; complete: boolean};
    expect(summary.complete).toBe(true);
    expect(summary.resumedRows).toBe(previous?.idx.length ?? 0);
    expect(summary.resumedRows + summary.doneRows).toBe(summary.totalRows);
    const final = await checkInvariants(output, job.inputIdx, {settled: true, ...(previous !== undefined ? {previous} : {})});
    expect(final.complete).toBe(true);
    expect(fs.existsSync(path.join(output, ".airlabel.lock"))).toBe(false);
    return result;
}
