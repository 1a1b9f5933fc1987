import type {GpuChoice} from "../../options/AnnotateOptions.js";
import {loadLlama} from "../loadLlama.js";
import {detectGpus, type GpuDetection} from "./detectGpus.js";
import {fitMemory, formatBytes, memoryLimitFromEnv} from "./fitMemory.js";
import type {PlacementRequest, WorkerPlacement} from "./PlacementRequest.js";
import {describePlacement, resolvePlacement} from "./resolvePlacement.js";

export type LocalRunPlanOptions = {
    modelPath: string,
    gpu: GpuChoice,
    gpuLayers: number | "max" | "auto",
    /** Context per sequence the run uses. */
    contextSize: number,
    /** The user's parallel sequences per worker; undefined = the largest that fits, up to 8 on CPU and 32 on a GPU. */
    parallel: number | undefined,
    /** Worker count when no replicas are asked for. */
    workers: number,
    placement: PlacementRequest
};

export type LocalRunPlan = {
    /** One per worker. */
    placements: WorkerPlacement[],
    parallel: number,
    detection: GpuDetection,
    /** Lines for the run's log: placement and memory. */
    notes: string[]
};

/**
 * Before any model loads: loads llama.cpp's bindings in this thread (the same build the workers will load),
 * detects the GPUs, resolves one placement per worker and fits parallel sequences into memory. Throws a
 * one-line PlacementError / MemoryFitError instead of starting workers that cannot do what was asked.
 */
export async function planLocalRun(options: LocalRunPlanOptions): Promise<LocalRunPlan> {
    const llama = await loadLlama(options.gpu);
    const detection = await detectGpus(llama);
    const placements = resolvePlacement(options.placement, detection, options.workers);
    const fit = await fitMemory({
        llama, modelPath: options.modelPath, detection, placements, gpuLayers: options.gpuLayers, contextSize: options.contextSize,
        parallel: options.parallel, defaultParallel: detection.backend === "cpu" ? 8 : 32,
        limitBytes: memoryLimitFromEnv(process.env.AIRLABEL_MEMORY_LIMIT)
    });
    const notes = [
        describePlacement(placements, detection),
        fit.skipped !== null
            ? `memory: ${fit.skipped}`
            : `memory: ${formatBytes(fit.neededBytes)} of ${fit.memory} estimated for model + context (parallel ${fit.parallel}${options.parallel === undefined ? ", the largest that fits up to the default" : ""}), ${formatBytes(fit.availableBytes)} available`
    ];
    return {placements, parallel: fit.parallel, detection, notes};
}
