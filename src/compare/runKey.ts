import crypto from "node:crypto";
import fs from "node:fs/promises";
import {checkModelFile} from "../model/checkModelFile.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";

/** Options that change how fast a model runs, not what it answers: a finished model is still skipped when only they change. */
const engineOnly = new Set(["parallel", "workers", "threads", "gpu", "gpuLayers", "concurrency", "maxRequestsPerMinute", "maxTokensPerMinute",
    "requestTimeoutMs", "maxRequestAttempts", "retryBaseDelayMs", "retryMaxDelayMs", "apiKeyEnv", "apiKeyFile", "stream", "shardSize",
    "overwrite", "signal", "onProgress", "onLog", "quiet", "json", "output"]);

/** A fingerprint of what a model's run answers (model file, input file, prompt, schema, sampling); null when the input cannot be fingerprinted cheaply. */
export async function runKey(options: AnnotateOptions, remote: boolean): Promise<string | null> {
    let inputStat: {size: number, mtimeMs: number};
    try {
        const stat = await fs.stat(options.input);
        if (!stat.isFile()) return null;
        inputStat = {size: stat.size, mtimeMs: stat.mtimeMs};
    } catch {
        return null;
    }
    let model: string;
    try {
        model = remote ? `remote:${options.baseUrl ?? ""}:${options.model}` : (await checkModelFile(options.model)).fingerprint;
    } catch {
        return null; // the run itself reports the unreadable model
    }
    const relevant = Object.fromEntries(Object.entries(options).filter(([name, value]) => !engineOnly.has(name) && typeof value !== "function").sort(([a], [b]) => a.localeCompare(b)));
    return crypto.createHash("sha256").update(JSON.stringify({relevant, model, inputStat})).digest("hex").slice(0, 32);
}

