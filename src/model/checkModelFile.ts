import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {hashCacheDir, modelSha256} from "./modelSha256.js";

/** Raised when the model path is missing, unreadable or not a GGUF file. */
export class ModelFileError extends AirlabelError {}

export type ModelFileInfo = {
    path: string;
    bytes: number;
    /** `name:size:sha256:<first 16 hex of the whole file's sha256>`: covers every weight (hashed once, then cached; see modelSha256). */
    fingerprint: string;
};

const sampleBytes = 1024 * 1024;

/** Models from this size on get a line saying why the first start takes a while (hashing them). */
const announcedBytes = 1024 ** 3;

/**
 * Checks that `modelPath` is a readable GGUF file and fingerprints it by the sha256 of all of its bytes (a line to
 * `onLog` when a large model is hashed for the first time).
 */
export async function checkModelFile(modelPath: string, options: {onLog?: (line: string) => void} = {}): Promise<ModelFileInfo> {
    let handle: fs.FileHandle;
    try {
        handle = await fs.open(modelPath, "r");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT")
            throw new ModelFileError(`model file ${modelPath} not found; pass the path of a GGUF file with --model (airlabel model create makes one)`);
        throw new ModelFileError(`model file ${modelPath} cannot be read (${code ?? String(err)}); check its permissions`);
    }
    try {
        const stat = await handle.stat();
        if (stat.isDirectory()) throw new ModelFileError(`model path ${modelPath} is a directory; pass the path of a .gguf file with --model`);
        const head = Buffer.alloc(Math.min(sampleBytes, stat.size));
        await handle.read(head, 0, head.length, 0);
        if (head.length < 4 || head.subarray(0, 4).toString("latin1") !== "GGUF")
            throw new ModelFileError(
                `model file ${modelPath} is not a GGUF file; airlabel runs GGUF models (convert others with llama.cpp's convert_hf_to_gguf.py)`
            );
        const corrupt = describeHeaderProblem(head, stat.size);
        if (corrupt !== undefined)
            throw new ModelFileError(
                `model file ${modelPath} has a corrupt GGUF header (${corrupt}); the file is damaged or truncated: copy or convert it again`
            );
        const hash = (
            await modelSha256(modelPath, (bytes) => {
                if (bytes >= announcedBytes)
                    options.onLog?.(
                        `hashing ${modelPath} (${(bytes / 1024 ** 3).toFixed(1)} GiB) once, to fingerprint all of its weights (about 1 s per GB); later runs read the hash from ${hashCacheDir()}`
                    );
            })
        ).slice(0, 16);
        return {path: modelPath, bytes: stat.size, fingerprint: `${path.basename(modelPath)}:${stat.size}:sha256:${hash}`};
    } finally {
        await handle.close();
    }
}

/** Largest tensor / metadata counts taken as plausible: real models have hundreds to a few thousand. */
const maxHeaderCount = 1_000_000n;

/** What is wrong with a GGUF header (`magic, version u32, tensor count u64, metadata count u64`), or undefined. */
function describeHeaderProblem(head: Buffer, size: number): string | undefined {
    if (head.length < 24) return `${size} bytes, shorter than a GGUF header`;
    const version = head.readUInt32LE(4);
    if (version < 2 || version > 3) return `version ${version}; GGUF versions 2 and 3 are supported`;
    const tensors = head.readBigUInt64LE(8);
    const metadata = head.readBigUInt64LE(16);
    if (tensors > maxHeaderCount) return `it claims ${tensors} tensors`;
    if (metadata > maxHeaderCount) return `it claims ${metadata} metadata entries`;
    return undefined;
}
