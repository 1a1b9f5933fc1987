import type {Llama} from "node-llama-cpp";
import type {GpuChoice} from "../../../options/AnnotateOptions.js";
import {loadLlama} from "../../../llama/loadLlama.js";
import {detectGpus, type GpuDetection} from "./detectGpus.js";
import {fitMemory, formatBytes, memoryLimitFromEnv} from "./fitMemory.js";
import type {PlacementRequest, WorkerPlacement} from "../../../options/PlacementRequest.js";
import {describePlacement, resolvePlacement} from "./resolvePlacement.js";

/** The replicas of a local run, placed on the GPUs found (before the prepare stage, so a bad option fails first). */
export type PlacedRun = {
    llama: Llama;
    detection: GpuDetection;
    /** One per worker. */
    placements: WorkerPlacement[];
};

export type LocalRunPlan = PlacedRun & {
    parallel: number;
    /** Lines for the run's log: placement and memory. */
    notes: string[];
};

/**
 * Loads llama.cpp's bindings in this thread (the same build the workers will load), detects the GPUs and resolves
 * one placement per worker. Throws a one-line PlacementError for an option the GPUs found or the build cannot honour.
 */
export async function placeLocalRun(options: {gpu: GpuChoice; workers: number; placement: PlacementRequest}): Promise<PlacedRun> {
    const llama = await loadLlama(options.gpu);
    const detection = await detectGpus(llama);
    return {llama, detection, placements: resolvePlacement(options.placement, detection, options.workers)};
}

/**
 * Before any model loads: fits parallel sequences into memory for the placed replicas (see {@link fitMemory}); a
 * MemoryFitError says needed vs available when it cannot.
 */
export async function fitLocalRun(
    placed: PlacedRun,
    options: {
        modelPath: string;
        gpuLayers: number | "max" | "auto";
        /** Context per sequence the run uses. */
        contextSize: number;
        /** The user's parallel sequences per worker; undefined = the largest that fits, up to 8 on CPU and 32 on a GPU. */
        parallel: number | undefined;
    }
): Promise<LocalRunPlan> {
    const fit = await fitMemory({
        llama: placed.llama,
        modelPath: options.modelPath,
        detection: placed.detection,
        placements: placed.placements,
        gpuLayers: options.gpuLayers,
        contextSize: options.contextSize,
        parallel: options.parallel,
        defaultParallel: placed.detection.backend === "cpu" ? 8 : 32,
        limitBytes: memoryLimitFromEnv(process.env.AIRLABEL_MEMORY_LIMIT)
    });
    const notes = [
        describePlacement(placed.placements, placed.detection),
        fit.skipped !== null
            ? `memory: ${fit.skipped}`
            : `memory: ${formatBytes(fit.neededBytes)} of ${fit.memory} estimated for model + context (parallel ${fit.parallel}${options.parallel === undefined ? ", the largest that fits up to the default" : ""}), ${formatBytes(fit.availableBytes)} available`
    ];
    return {...placed, parallel: fit.parallel, notes};
}
