import fs from "node:fs";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {writeFileDurable} from "../files/durableFs.js";
import type {OutputFormat} from "../output/OutputRow.js";

/** Name of the file that marks (and describes) a comparison output dir. */
export const COMPARISON_FILE = "compare.json";

/** Raised when a comparison dir's `compare.json` is missing, unreadable or malformed. */
export class ComparisonFileError extends AirlabelError {}

/** One model of a comparison, as recorded in `compare.json`. */
export type RecordedComparisonModel = {
    /** Filesystem-safe short name: the model's output is `models/<id>/`, its answer column `response_<id>`. */
    id: string;
    /** The GGUF path (local) or the server's model name (openai). */
    model: string;
    /** Which engine ran it. */
    backend: "local" | "openai";
    /** The server's API root (openai backend only). */
    baseUrl?: string;
    /** Its output dir relative to the comparison dir (`models/<id>`). */
    dir: string;
    /** Fingerprint of what this model's run was asked to do, so a finished model is skipped on resume only when nothing changed. */
    key?: string;
};

/** Content of `compare.json`. */
export type ComparisonFile = {
    format: "airlabel-comparison";
    version: 1;
    models: RecordedComparisonModel[];
    /** Shard format of every model's output and of the merged view. */
    outputFormat: OutputFormat;
    /** File name of the merged view (one row per idx, `response_<id>` per model), written when every model finished; null before. */
    merged: string | null;
    createdAt: string;
    updatedAt: string;
};

/** The path of `compare.json` in `dir`. */
export function comparisonFilePath(dir: string): string {
    return path.join(dir, COMPARISON_FILE);
}

/** Reads `dir/compare.json`; undefined when there is none. Throws ComparisonFileError when it is malformed. */
export function readComparisonFile(dir: string): ComparisonFile | undefined {
    const file = comparisonFilePath(dir);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new ComparisonFileError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); check its permissions`);
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (err) {
        throw new ComparisonFileError(
            `${file} is corrupt (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); re-run with --overwrite to start over`
        );
    }
    const problem = shapeProblem(parsed);
    if (problem !== null)
        throw new ComparisonFileError(`${file} is not an airlabel comparison (${problem}); re-run with --overwrite to start over, or use another --output`);
    return parsed as ComparisonFile;
}

/** Writes `dir/compare.json` atomically (temp, fsync, rename). */
export async function writeComparisonFile(dir: string, content: ComparisonFile): Promise<void> {
    await writeFileDurable(comparisonFilePath(dir), JSON.stringify(content, null, 2) + "\n");
}

function shapeProblem(value: unknown): string | null {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
    const record = value as Record<string, unknown>;
    if (record.format !== "airlabel-comparison") return 'format is not "airlabel-comparison"';
    if (record.version !== 1) return `version ${JSON.stringify(record.version)} is not 1`;
    if (!Array.isArray(record.models) || record.models.length === 0) return "no models list";
    for (const [i, model] of record.models.entries()) {
        const entry = model as Record<string, unknown> | null;
        if (typeof entry !== "object" || entry === null || typeof entry.id !== "string" || typeof entry.model !== "string" || typeof entry.dir !== "string")
            return `models[${i}] lacks id, model or dir`;
        if (!/^[A-Za-z0-9._-]+$/u.test(entry.id) || entry.dir !== `models/${entry.id}`) return `models[${i}] has an unsafe id or dir`;
    }
    return null;
}
