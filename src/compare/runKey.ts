import crypto from "node:crypto";
import {createReadStream} from "node:fs";
import fs from "node:fs/promises";
import {checkModelFile} from "../model/checkModelFile.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";

/** Options that change how fast a model runs, not what it answers: a finished model is still skipped when only they change. */
const engineOnly = new Set(["parallel", "workers", "threads", "gpu", "gpuLayers", "concurrency", "maxRequestsPerMinute", "maxTokensPerMinute",
    "requestTimeoutMs", "maxRequestAttempts", "retryBaseDelayMs", "retryMaxDelayMs", "apiKeyEnv", "apiKeyFile", "stream", "shardSize",
    "overwrite", "signal", "onProgress", "onLog", "quiet", "json", "output"]);

/** A fingerprint of what a model's run answers (model file, input file content, prompt, schema, sampling); null when the input is not one file (a folder, a glob, stdin). */
export async function runKey(options: AnnotateOptions, remote: boolean): Promise<string | null> {
    let inputHash: string;
    try {
        const stat = await fs.stat(options.input);
        if (!stat.isFile()) return null;
        // the content, not the mtime: a file written again with the same rows leaves finished work alone
        const hash = crypto.createHash("sha256");
        for await (const chunk of createReadStream(options.input)) hash.update(chunk as Buffer);
        inputHash = hash.digest("hex");
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
    return crypto.createHash("sha256").update(JSON.stringify({relevant, model, inputHash})).digest("hex").slice(0, 32);
}

