import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";
import type {GpuChoice} from "../options/AnnotateOptions.js";
import {hasDecodeThread} from "./decodeThreadSupport.js";
import {LlamaBinaryError} from "./LlamaBinaryError.js";

/** One instance per backend choice in this thread: each `getLlama` call makes a new one (and a process listener). */
const loaded = new Map<GpuChoice, Promise<Llama>>();

/**
 * Loads llama.cpp's bindings without ever building or downloading at run time. node-llama-cpp prefers a build
 * made on this machine (`npm run build:native`, from the llama.cpp source it ships) over its prebuilt binaries
 * when one exists for the same backend; when none loads, it throws a LlamaBinaryError. Every call in a thread with the same `gpu` shares one instance (a job of
 * many steps used to load one per step and per prepare, each never disposed).
 */
export function loadLlama(gpu: GpuChoice): Promise<Llama> {
    let llama = loaded.get(gpu);
    if (llama === undefined) {
        llama = getLlama({
            gpu: gpu === "auto" ? "auto" : gpu === "cpu" ? false : gpu,
            logLevel: LlamaLogLevel.error,
            build: "never",
            skipDownload: true,
            progressLogs: false
        }).catch((err: unknown) => {
            throw new LlamaBinaryError(gpu, err);
        });
        loaded.set(gpu, llama);
        // a failed load is not kept: the next call tries again
        llama.catch(() => loaded.delete(gpu));
    }
    return llama;
}

/** For the run's startup log: which binary runs, and how to get a faster one when that applies. */
export function describeLlama(llama: Llama, threads: number | undefined): {engine: string; hint: string | null} {
    const backend = llama.gpu === false ? "CPU" : llama.gpu.toUpperCase();
    const binary = llama.buildType === "localBuild" ? "host build" : "prebuilt binary";
    const engine = `llama.cpp ${binary} (${backend}${threads !== undefined ? `, ${threads} thread${threads === 1 ? "" : "s"}` : ""})`;
    const hint =
        llama.buildType === "prebuilt" && llama.gpu === false
            ? "a build for this CPU runs matrix work about 2x faster than the prebuilt binary: npm run build:native -- --gpu cpu (offline, once)"
            : llama.buildType === "localBuild" && !hasDecodeThread(llama)
              ? `this host build predates airlabel's decode-thread patch (up to 1.8x faster with all cores): npm run build:native -- --gpu ${llama.gpu === false ? "cpu" : llama.gpu}`
              : null;
    return {engine, hint};
}
