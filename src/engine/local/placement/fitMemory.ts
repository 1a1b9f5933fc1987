import {GgufInsights, readGgufFileInfo, type Llama} from "node-llama-cpp";
import {AirlabelError} from "../../../AirlabelError.js";
import type {GpuDetection} from "./detectGpus.js";
import type {WorkerPlacement} from "../../../options/PlacementRequest.js";

/** Raised before loading when the model and context cannot fit the memory available; the message has the numbers. */
export class MemoryFitError extends AirlabelError {}

export type MemoryFitOptions = {
    llama: Llama;
    modelPath: string;
    detection: GpuDetection;
    placements: WorkerPlacement[];
    gpuLayers: number | "max" | "auto";
    /** Context per sequence (already the smallest that holds the longest prompt plus maxTokens when not set by the user). */
    contextSize: number;
    /** The user's parallel sequences per worker, checked as given; undefined = pick the largest that fits up to `defaultParallel`. */
    parallel: number | undefined;
    defaultParallel: number;
    /** The memory to fit in, in bytes, instead of what is free (AIRLABEL_MEMORY_LIMIT). Defaults to the free RAM / VRAM. */
    limitBytes?: number;
};

export type MemoryFit = {
    parallel: number;
    /** "RAM" on CPU, "VRAM" on a GPU. */
    memory: "RAM" | "VRAM";
    /** Estimated bytes for the chosen setting (every replica). */
    neededBytes: number;
    availableBytes: number;
    /** Why no check was made (e.g. gpuLayers "auto" partially offloads a model that does not fit), else null. */
    skipped: string | null;
};

/** The batch size a worker's context uses (see localWorker.ts). */
export function workerBatchSize(contextSize: number, parallel: number): number {
    return Math.min(contextSize * parallel, Math.max(512, parallel * 64));
}

/**
 * Estimates the memory of model + context with node-llama-cpp's GGUF insights before anything loads, and picks
 * the largest parallel-sequence count (up to the default) that fits, or throws with needed vs available.
 * On CPU the weights are memory-mapped, so replicas share them and each adds only its context; on GPUs every
 * replica (or split) needs its own VRAM, and the VRAM of the devices it uses is what counts.
 */
export async function fitMemory(options: MemoryFitOptions): Promise<MemoryFit> {
    const {llama, detection, placements, contextSize} = options;
    const insights = await GgufInsights.from(await readGgufFileInfo(options.modelPath, {logWarnings: false}), llama);
    const onGpu = detection.backend !== "cpu" && detection.vram !== null && detection.devices.length > 0;
    const replicas = placements.length;
    const layers = !onGpu
        ? 0
        : options.gpuLayers === "max" || options.gpuLayers === "auto"
          ? insights.totalLayers
          : Math.min(options.gpuLayers, insights.totalLayers);
    const model = await insights.estimateModelResourceRequirementsV2({gpuLayers: layers, useMmap: llama.supportsMmap});
    // the GPUs the replicas use: one each when pinned (splitMode "none" or one device), the listed devices, or all
    // (VRAM is known for all GPUs together, so a GPU's share is taken as free / count)
    const gpuCount = detection.devices.length;
    const usedBy = (placement: WorkerPlacement) => placement.devices?.length ?? (placement.splitMode === "none" ? 1 : gpuCount);
    const pinned = placements.every((placement) => usedBy(placement) === 1);
    const perDevice = onGpu ? detection.vram!.free / gpuCount : 0;
    const gpusUsed = pinned ? Math.min(replicas, gpuCount) : Math.max(...placements.map(usedBy));
    const available = options.limitBytes ?? (onGpu ? perDevice * gpusUsed : (await llama.getRamState()).free);
    const memory = onGpu ? "VRAM" : "RAM";
    const modelBytes = onGpu ? model.gpuVram : model.cpuRam;
    const modelTotal = onGpu ? modelBytes * replicas : modelBytes;

    const need = async (parallel: number) => {
        const context = await insights.estimateContextResourceRequirementsV2({
            contextSize,
            sequences: parallel,
            modelGpuLayers: layers,
            batchSize: workerBatchSize(contextSize, parallel),
            flashAttention: "auto"
        });
        const contextBytes = onGpu ? context.gpuVram : context.cpuRam;
        return {total: modelTotal + contextBytes * replicas, context: contextBytes};
    };
    if (onGpu && options.gpuLayers === "auto" && modelTotal > available) {
        const parallel = options.parallel ?? options.defaultParallel;
        return {
            parallel,
            memory,
            neededBytes: modelTotal,
            availableBytes: available,
            skipped: `the whole model needs ${formatBytes(modelTotal)} of VRAM, ${formatBytes(available)} free: gpuLayers "auto" offloads what fits`
        };
    }
    const fits = async (parallel: number) => (await need(parallel)).total <= available;
    let parallel = options.parallel;
    if (parallel === undefined) {
        // largest count from 1 to the default that fits (memory grows with the count)
        let low = 1;
        let high = options.defaultParallel;
        if (await fits(high)) low = high;
        else
            while (high - low > 1) {
                const mid = (low + high) >> 1;
                if (await fits(mid)) low = mid;
                else high = mid;
            }
        parallel = low;
    }
    const needed = await need(parallel);
    if (needed.total > available) {
        const setting = `${replicas > 1 ? `${replicas} replicas x ` : ""}${parallel} sequence${parallel === 1 ? "" : "s"} x ${contextSize} tokens`;
        const fix = options.parallel !== undefined && options.parallel > 1 ? "lower --parallel" : "lower --context-size / --max-tokens";
        throw new MemoryFitError(
            `memory: the model and context need ${formatBytes(needed.total)} of ${memory} (model ${formatBytes(modelTotal)}, context ${formatBytes(needed.context * replicas)} for ${setting}) but ${formatBytes(available)} is ${options.limitBytes !== undefined ? "allowed (AIRLABEL_MEMORY_LIMIT)" : "available"}; ${fix}${replicas > 1 ? ", use fewer replicas" : ""} or use a smaller model`
        );
    }
    return {parallel, memory, neededBytes: needed.total, availableBytes: available, skipped: null};
}

/** AIRLABEL_MEMORY_LIMIT: bytes, or a number with KiB/MiB/GiB (caps the memory the fit assumes available). */
export function memoryLimitFromEnv(value: string | undefined): number | undefined {
    if (value === undefined || value.trim() === "") return undefined;
    const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$/u.exec(value);
    if (match === null) throw new MemoryFitError(`AIRLABEL_MEMORY_LIMIT is "${value}"; give bytes or a number with KiB, MiB, GiB or TiB (e.g. 8GiB)`);
    const units: Record<string, number> = {B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4};
    return Math.floor(Number(match[1]) * units[match[2] ?? "B"]!);
}

export function formatBytes(bytes: number): string {
    if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
    if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
    return `${Math.ceil(bytes / 1024)} KiB`;
}
