import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import type {GpuChoice} from "../../../options/AnnotateOptions.js";
import {loadLlama} from "../../../llama/loadLlama.js";
import {detectGpus, type GpuDetection} from "./detectGpus.js";
import {buildCommandFor} from "./placementSupport.js";

/** A llama.cpp binary this install could load. */
export type LlamaBinary = {
    /** Folder name, e.g. "linux-x64-cuda" (prebuilt) or "linux-x64" (local build). */
    name: string;
    /** The backend it runs: "cpu", "cuda", "vulkan", "metal". */
    gpu: string;
    /** Whether it is airlabel's patched build (placement options work). */
    patched: boolean;
};

/** What `airlabel inspect --gpus` reports. */
export type GpuInspection = GpuDetection & {
    /** node-llama-cpp's prebuilt binaries installed (npm optional packages). */
    prebuiltBinaries: LlamaBinary[];
    /** Builds made here with `npm run build:native` (node-llama-cpp's localBuilds). */
    localBuilds: LlamaBinary[];
    /** The command that builds the patched addon for the detected backend. */
    buildCommand: string;
};

const placementMarker = Buffer.from("getAirlabelPlacement");

/** Loads llama.cpp's bindings for `gpu` (never builds or downloads), lists the GPUs it sees and the binaries installed. */
export async function inspectGpus(gpu: GpuChoice = "auto"): Promise<GpuInspection> {
    const detection = await detectGpus(await loadLlama(gpu));
    const packageRoot = path.dirname(path.dirname(createRequire(import.meta.url).resolve("node-llama-cpp")));
    return {
        ...detection,
        prebuiltBinaries: prebuiltBinaries(packageRoot),
        localBuilds: localBuilds(packageRoot),
        buildCommand: buildCommandFor(detection.backend)
    };
}

function prebuiltBinaries(packageRoot: string): LlamaBinary[] {
    const scopes = [path.join(packageRoot, "node_modules", "@node-llama-cpp"), path.join(packageRoot, "..", "@node-llama-cpp")];
    const binaries = new Map<string, LlamaBinary>();
    for (const scope of scopes) {
        for (const pkg of listDir(scope)) {
            for (const name of listDir(path.join(scope, pkg, "bins"))) {
                const addon = path.join(scope, pkg, "bins", name, "llama-addon.node");
                if (fs.existsSync(addon) && !binaries.has(name)) binaries.set(name, {name, gpu: gpuOfName(name), patched: hasMarker(addon)});
            }
        }
    }
    return [...binaries.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function localBuilds(packageRoot: string): LlamaBinary[] {
    const root = path.join(packageRoot, "llama", "localBuilds");
    return listDir(root).flatMap((name) => {
        const addon = path.join(root, name, "Release", "llama-addon.node");
        if (!fs.existsSync(addon)) return [];
        let gpu = gpuOfName(name);
        try {
            const metadata = JSON.parse(fs.readFileSync(path.join(root, name, "Release", "_nlcBuildMetadata.json"), "utf8")) as {
                buildOptions?: {gpu?: string | false};
            };
            gpu = metadata.buildOptions?.gpu === false ? "cpu" : (metadata.buildOptions?.gpu ?? gpu);
        } catch {
            // no metadata: the name tells
        }
        return [{name, gpu, patched: hasMarker(addon)}];
    });
}

function gpuOfName(name: string): string {
    return ["cuda", "vulkan", "metal"].find((gpu) => name.includes(gpu)) ?? (name.startsWith("mac-arm64") ? "metal" : "cpu");
}

/** The patched addon exports getAirlabelPlacement, so its name is in the binary. */
function hasMarker(file: string): boolean {
    try {
        return fs.readFileSync(file).includes(placementMarker);
    } catch {
        return false;
    }
}

function listDir(dir: string): string[] {
    try {
        return fs.readdirSync(dir).sort();
    } catch {
        return [];
    }
}
