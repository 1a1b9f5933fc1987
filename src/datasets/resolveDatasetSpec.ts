import fs from "node:fs";
import path from "node:path";
import type {DatasetFormat} from "./Dataset.js";
import {DatasetError} from "./DatasetError.js";
import {compareNames, expandGlob, isGlob} from "./expandGlob.js";

/** File extensions airlabel reads, and their formats. */
export const formatByExtension: Readonly<Record<string, DatasetFormat>> = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".arrows": "arrow"
};

const supportedList = Object.keys(formatByExtension).join(", ");
const compressedExtensions: Readonly<Record<string, string>> = {
    ".gz": "gunzip -k",
    ".gzip": "gunzip -k",
    ".zst": "zstd -d",
    ".bz2": "bunzip2 -k",
    ".xz": "xz -dk",
    ".zip": "unzip"
};

/** Where a dataset spec points: its format and files (with the names used in locations). */
export type ResolvedDatasetSpec = {
    format: DatasetFormat;
    /** Absolute paths, in reading order; empty for stdin. */
    files: string[];
    /** Display name of each file, e.g. `data.jsonl` or `part-1/train.csv`. */
    names: string[];
    stdin: boolean;
};

/**
 * Resolves a dataset spec: "-" (stdin), a file, a Hugging Face `save_to_disk` folder, a plain folder
 * of shards, or a glob. `format` overrides detection by extension.
 */
export async function resolveDatasetSpec(spec: string, format?: DatasetFormat): Promise<ResolvedDatasetSpec> {
    if (spec === "-") return {format: format ?? "jsonl", files: [], names: [], stdin: true};

    const stat = await statOrUndefined(spec);
    if (stat == null && isGlob(spec)) {
        const {base, files} = await expandGlob(spec);
        if (files.length === 0) throw new DatasetError(`no files match ${spec}; check the pattern`);
        return fromFiles(spec, files, base, format, "pattern");
    }
    if (stat == null) throw new DatasetError(`input file ${spec} not found; check the path`);

    if (stat.isDirectory()) return resolveFolder(spec, format);

    const file = path.resolve(spec);
    return {format: format ?? formatOf(spec), files: [file], names: [path.basename(file)], stdin: false};
}

/** The format of a file from its extension; throws naming the supported extensions. */
export function formatOf(file: string): DatasetFormat {
    const extension = path.extname(file).toLowerCase();
    const format = formatByExtension[extension];
    if (format == null) {
        const what = extension === "" ? "has no file extension" : `has an unsupported extension "${extension}"`;
        if (compressedExtensions[extension] !== undefined)
            throw new DatasetError(
                `${file} ${what}: it is compressed, and airlabel reads uncompressed files; decompress it first (${compressedExtensions[extension]} ${file}) and pass the result`
            );
        throw new DatasetError(`${file} ${what}; supported: ${supportedList} (or pass --format)`);
    }
    return format;
}

async function resolveFolder(spec: string, format: DatasetFormat | undefined): Promise<ResolvedDatasetSpec> {
    const folder = path.resolve(spec);
    let entries: fs.Dirent[];
    try {
        entries = await fs.promises.readdir(folder, {withFileTypes: true});
    } catch (err) {
        throw new DatasetError(`input folder ${spec} cannot be read (${(err as {code?: string}).code ?? String(err)}); check its permissions`, {cause: err});
    }
    const fileNames = entries
        .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
        .map((entry) => entry.name)
        .sort(compareNames);

    if (fileNames.includes("dataset_dict.json")) {
        const splits = entries
            .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
            .map((entry) => entry.name)
            .sort(compareNames);
        throw new DatasetError(
            `${spec} is a Hugging Face DatasetDict with splits ${splits.join(", ") || "(none)"}; pass one split folder, e.g. ${path.join(spec, splits[0] ?? "train")}`
        );
    }

    if (fileNames.includes("state.json") || fileNames.includes("dataset_info.json")) return resolveSaveToDisk(spec, folder, fileNames);

    const files = fileNames
        .filter((name) => format != null || formatByExtension[path.extname(name).toLowerCase()] != null)
        .map((name) => path.join(folder, name));
    if (files.length === 0) throw new DatasetError(`folder ${spec} has no data files; supported: ${supportedList}`);
    return fromFiles(spec, files, folder, format, "folder");
}

async function resolveSaveToDisk(spec: string, folder: string, fileNames: string[]): Promise<ResolvedDatasetSpec> {
    let names: string[] | undefined;
    if (fileNames.includes("state.json")) {
        const statePath = path.join(folder, "state.json");
        let state: unknown;
        try {
            state = JSON.parse(await fs.promises.readFile(statePath, "utf8"));
        } catch (err) {
            throw new DatasetError(`${path.join(spec, "state.json")}: cannot be read as JSON (${(err as Error).message}); fix or remove it`, {cause: err});
        }
        const dataFiles = (state as {_data_files?: unknown})?._data_files;
        if (Array.isArray(dataFiles)) names = dataFiles.map((entry: unknown) => String((entry as {filename?: unknown})?.filename));
        const indices = (state as {_indices_data_files?: unknown})?._indices_data_files;
        if (Array.isArray(indices) && indices.length > 0) throw selectionFolder(spec);
    }
    if (fileNames.includes("indices.arrow") && names?.includes("indices.arrow") !== true) throw selectionFolder(spec);
    names ??= fileNames.filter((name) => name.endsWith(".arrow"));

    if (names.length === 0) throw new DatasetError(`${spec} looks like a Hugging Face save_to_disk folder but has no .arrow data files`);
    for (const name of names) {
        if (!fileNames.includes(name))
            throw new DatasetError(`${path.join(spec, name)}, listed in state.json, not found; the save_to_disk folder is incomplete`);
    }
    return {format: "arrow", files: names.map((name) => path.join(folder, name)), names, stdin: false};
}

/**
 * A save_to_disk folder of a selection (`select`, `filter`, `shuffle` by older `datasets`) holds the whole table and an
 * index of the rows chosen: reading the table would give other rows than the dataset's, without a word.
 */
function selectionFolder(spec: string): DatasetError {
    return new DatasetError(
        `${spec} is a Hugging Face save_to_disk folder of a selection (it has an indices file): its .arrow files hold other rows than ` +
            "the dataset's; save it again with ds.flatten_indices().save_to_disk(...)"
    );
}

function fromFiles(spec: string, files: string[], base: string, format: DatasetFormat | undefined, kind: "folder" | "pattern"): ResolvedDatasetSpec {
    const names = files.map((file) => path.relative(base, file));
    if (format != null) return {format, files, names, stdin: false};

    const byFormat = new Map<DatasetFormat, string[]>();
    for (const [index, file] of files.entries()) {
        const fileFormat = formatOf(names[index] ?? file);
        byFormat.set(fileFormat, [...(byFormat.get(fileFormat) ?? []), names[index] ?? file]);
    }
    if (byFormat.size > 1) {
        const mix = [...byFormat].map(([fileFormat, list]) => `${fileFormat}: ${list[0]}${list.length > 1 ? ", ..." : ""}`).join("; ");
        const hint = kind === "folder" ? `use a glob like ${path.join(spec, "*" + path.extname(names[0] ?? ""))}` : "narrow the pattern";
        throw new DatasetError(`${kind} ${spec} mixes formats (${mix}); a dataset has one format: ${hint}`);
    }
    const [only] = byFormat.keys();
    return {format: only ?? "jsonl", files, names, stdin: false};
}

async function statOrUndefined(spec: string): Promise<fs.Stats | undefined> {
    try {
        return await fs.promises.stat(spec);
    } catch (err) {
        const code = (err as {code?: string}).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw new DatasetError(`input file ${spec} cannot be read (${code ?? String(err)}); check its permissions`, {cause: err});
    }
}
