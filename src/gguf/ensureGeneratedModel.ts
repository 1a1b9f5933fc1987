import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import {InvalidOptionError} from "../AirlabelError.js";
import {writeLlamaGguf, type LlamaGgufType, type WriteLlamaGgufOptions} from "./writeLlamaGguf.js";

/** The options of a generated model named by its parameter count (an explicit shape or a copied tokenizer is written with `writeLlamaGguf`). */
type NamedModelOptions = Omit<WriteLlamaGgufOptions, "path" | "parameters" | "shape" | "tokenizerFrom" | "tiedEmbeddings"> & {parameters: number};

export type EnsureGeneratedModelOptions = NamedModelOptions & {
    /** Folder the generated models are kept in (created if missing). */
    dir: string;
};

const inFlight = new Map<string, Promise<string>>();

/**
 * Returns the path of `<dir>/airlabel-<params>-<type>-s<seed>.gguf`, generating the model with
 * {@link writeLlamaGguf} only when that file does not exist yet (so a demo generates its model once).
 *
 * `<params>` is the target count in short form (`1M`, `85M`, `1.5B`, `250K`, or the plain number);
 * options that change the file beyond these get their own suffix, so different options never share
 * a file: `-c<contextLength>` when not 4096, `-nochat` without a chat template, `-n<hash>` for a custom name.
 * Concurrent calls for the same file in one process share one generation; across processes the
 * atomic rename of `writeLlamaGguf` means the last identical file wins.
 */
export async function ensureGeneratedModel(options: EnsureGeneratedModelOptions): Promise<string> {
    if (typeof options.dir !== "string" || options.dir.length === 0) throw new InvalidOptionError("options.dir must be a non-empty folder path such as models");

    const {dir, ...modelOptions} = options;
    const modelPath = path.resolve(dir, generatedModelFileName(modelOptions));

    const existing = inFlight.get(modelPath);
    if (existing != null) return await existing;

    const promise = (async () => {
        if (await isFile(modelPath)) return modelPath;

        await writeLlamaGguf({...modelOptions, path: modelPath});
        return modelPath;
    })();

    inFlight.set(modelPath, promise);
    try {
        return await promise;
    } finally {
        inFlight.delete(modelPath);
    }
}

/** The file name {@link ensureGeneratedModel} uses for these options. */
export function generatedModelFileName(options: NamedModelOptions): string {
    const type: LlamaGgufType = options.type ?? "f16";
    const seed = options.seed ?? 42;
    let name = `airlabel-${formatParameterCount(options.parameters)}-${type}-s${seed}`;

    if (options.contextLength != null && options.contextLength !== 4096) name += `-c${options.contextLength}`;
    if (options.chatTemplate === false) name += "-nochat";
    if (options.name != null) name += `-n${crypto.createHash("sha256").update(options.name).digest("hex").slice(0, 8)}`;

    return name + ".gguf";
}

/** `85000000` → `85M`, `1500000000` → `1.5B`, `250000` → `250K` (at most one decimal); other numbers stay as they are. */
export function formatParameterCount(parameters: number): string {
    for (const [suffix, size] of [
        ["T", 1e12],
        ["B", 1e9],
        ["M", 1e6],
        ["K", 1e3]
    ] as const) {
        if (parameters >= size && parameters % (size / 10) === 0) return `${parameters / size}${suffix}`;
    }

    return String(parameters);
}

async function isFile(filePath: string): Promise<boolean> {
    try {
        return (await fs.stat(filePath)).isFile();
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;

        throw err;
    }
}
