import crypto from "node:crypto";
import {resolveDatasetSpec} from "../datasets/resolveDatasetSpec.js";
import {checkModelFile} from "../model/checkModelFile.js";
import {sha256OfFiles} from "../files/sha256OfFiles.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";

/** Options that change how fast a model runs, not what it answers: a finished model is still skipped when only they change. */
const engineOnly = new Set(["parallel", "workers", "replicas", "threads", "gpu", "gpuLayers", "devices", "splitMode", "tensorSplit", "mainGpu", "concurrency", "maxRequestsPerMinute", "maxTokensPerMinute",
    "requestTimeoutMs", "maxRequestAttempts", "retryBaseDelayMs", "retryMaxDelayMs", "apiKeyEnv", "apiKeyFile", "stream", "shardSize",
    "overwrite", "signal", "onProgress", "onLog", "quiet", "json", "output"]);

/** A fingerprint of what a model's run answers (model file, input file content, prompt, schema, sampling); null for stdin. `inputContent` stands for the input when the rows do not come from a file (generate). */
export async function runKey(options: AnnotateOptions, remote: boolean, inputContent?: string): Promise<string | null> {
    let inputHash: string;
    if (inputContent !== undefined) inputHash = crypto.createHash("sha256").update(inputContent).digest("hex");
    else try {
        const spec = await resolveDatasetSpec(options.input, options.inputFormat);
        if (spec.stdin) return null;
        // the content, not the mtime: a file written again with the same rows leaves finished work alone
        inputHash = await sha256OfFiles(spec.files, spec.names);
    } catch {
        return null; // the run itself reports an unreadable input
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

