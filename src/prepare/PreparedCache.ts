import fs from "node:fs/promises";
import path from "node:path";
import {tableFromArrays, tableFromIPC, tableToIPC} from "apache-arrow";
import type {PreparedJob, PreparedRow, PreparedFailure} from "./PreparedJob.js";

const cacheVersion = 1;

/**
 * The prepared rows of a job, cached as one Arrow IPC file under `<output>/cache/`, keyed by a fingerprint of
 * the input files, the template, the model and the prepare options, so a second run does not re-read and
 * re-tokenize the input.
 */
export class PreparedCache {
    public readonly file: string;

    public constructor(outputDir: string, key: string) {
        this.file = path.join(outputDir, "cache", `prepared-${key.slice(0, 24)}.arrow`);
    }

    public async load(): Promise<PreparedJob | null> {
        let bytes: Buffer;
        try {
            bytes = await fs.readFile(this.file);
        } catch {
            return null;
        }
        try {
            const table = tableFromIPC(bytes);
            const meta = JSON.parse(table.schema.metadata.get("airlabel") ?? "null") as CacheMeta | null;
            if (meta === null || meta.version !== cacheVersion) return null;
            const rows: PreparedRow[] = [];
            const failures: PreparedFailure[] = [];
            const idx = table.getChild("idx")!, prompt = table.getChild("prompt")!, tokens = table.getChild("prompt_tokens")!;
            const hash = table.getChild("input_hash")!, columns = table.getChild("columns")!;
            const stage = table.getChild("fail_stage")!, reason = table.getChild("fail_reason")!, location = table.getChild("location")!;
            const system = table.getChild("system");
            for (let i = 0; i < table.numRows; i++) {
                const failStage = stage.get(i) as string | null;
                if (failStage !== null)
                    failures.push({idx: idx.get(i) as number, stage: failStage as PreparedFailure["stage"], reason: reason.get(i) as string, location: location.get(i) as string});
                else {
                    const rowSystem = system?.get(i) as string | null | undefined;
                    rows.push({
                        idx: idx.get(i) as number, prompt: prompt.get(i) as string, promptTokens: tokens.get(i) as number,
                        inputHash: hash.get(i) as string, columns: JSON.parse(columns.get(i) as string) as Record<string, unknown>,
                        ...(rowSystem != null ? {system: rowSystem} : {})
                    });
                }
            }
            return {...meta.job, rows, failures, fromCache: true, cacheFile: this.file};
        } catch {
            return null; // a torn cache file is simply rebuilt
        }
    }

    public async save(job: PreparedJob): Promise<void> {
        const all = [...job.rows.map((row) => ({row, failure: null})), ...job.failures.map((failure) => ({row: null, failure}))];
        const table = tableFromArrays({
            idx: Float64Array.from(all, (e) => e.row?.idx ?? e.failure!.idx),
            prompt: all.map((e) => e.row?.prompt ?? null),
            prompt_tokens: Int32Array.from(all, (e) => e.row?.promptTokens ?? 0),
            input_hash: all.map((e) => e.row?.inputHash ?? null),
            columns: all.map((e) => e.row === null ? null : JSON.stringify(e.row.columns)),
            fail_stage: all.map((e) => e.failure?.stage ?? null),
            fail_reason: all.map((e) => e.failure?.reason ?? null),
            location: all.map((e) => e.failure?.location ?? null),
            // a prompt hook's per-row system messages (a column of nulls otherwise)
            system: all.map((e) => e.row?.system ?? null)
        });
        const meta: CacheMeta = {
            version: cacheVersion,
            job: {totalRows: job.totalRows, inputHash: job.inputHash, columns: job.columns, maxPromptTokens: job.maxPromptTokens}
        };
        table.schema.metadata.set("airlabel", JSON.stringify(meta));
        await fs.mkdir(path.dirname(this.file), {recursive: true});
        const tmp = `${this.file}.${process.pid}.tmp`;
        await fs.writeFile(tmp, tableToIPC(table, "file"));
        await fs.rename(tmp, this.file);
    }
}

type CacheMeta = {
    version: number,
    job: Pick<PreparedJob, "totalRows" | "inputHash" | "columns" | "maxPromptTokens">
};
