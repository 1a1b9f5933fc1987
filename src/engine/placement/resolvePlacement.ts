import type {GpuDetection} from "./detectGpus.js";
import {PlacementError} from "./PlacementError.js";
import type {PlacementRequest, WorkerPlacement} from "./PlacementRequest.js";
import {buildCommandFor} from "./placementSupport.js";

/**
 * Turns the validated placement options into one placement per worker, against the GPUs found: checks what needs
 * the device count (tensor split length, main GPU index, per-GPU replicas) and refuses an option the loaded build
 * cannot apply, naming the option and the command that builds the patched addon. Never drops an option.
 *
 * - no placement option: `workers` workers with llama.cpp's defaults (stock builds are fine);
 * - `replicas: "per-gpu"`: one worker per GPU, pinned with splitMode "none" + mainGpu i;
 * - `replicas: N` on several GPUs without other placement options: worker i pinned to GPU i mod count;
 * - otherwise every worker gets the requested split mode, tensor split and main GPU.
 */
export function resolvePlacement(request: PlacementRequest, detection: GpuDetection, workers: number): WorkerPlacement[] {
    const gpuCount = detection.devices.length;
    const found = gpuCount === 0
        ? `the ${detection.backend} backend has no GPU`
        : `${gpuCount} GPU${gpuCount === 1 ? " was" : "s were"} found (${detection.devices.map((name, index) => `${index}: ${name}`).join(", ")})`;
    const requirePatched = (option: string) => {
        if (!detection.patched)
            throw new PlacementError(`${option} needs airlabel's patched llama.cpp build (the loaded ${detection.buildType === "localBuild" ? "host build" : "prebuilt binary"} does not apply split_mode/tensor_split/main_gpu); build it with: ${buildCommandFor(detection.backend)}`);
    };

    if (request.tensorSplit !== undefined && request.tensorSplit.length !== gpuCount)
        throw new PlacementError(`options.tensorSplit has ${request.tensorSplit.length} entr${request.tensorSplit.length === 1 ? "y" : "ies"} but ${found}; give one ratio per GPU`);
    if (request.mainGpu !== undefined && gpuCount === 0 && request.mainGpu !== 0)
        throw new PlacementError(`options.mainGpu is ${request.mainGpu} but ${found}; use 0 or remove it`);
    if (request.mainGpu !== undefined && gpuCount > 0 && request.mainGpu >= gpuCount)
        throw new PlacementError(`options.mainGpu is ${request.mainGpu} but ${found}; use an index from 0 to ${gpuCount - 1}`);

    const userPlacement: WorkerPlacement = {
        ...(request.splitMode !== undefined ? {splitMode: request.splitMode} : {}),
        ...(request.tensorSplit !== undefined ? {tensorSplit: request.tensorSplit} : {}),
        ...(request.mainGpu !== undefined ? {mainGpu: request.mainGpu} : {})
    };
    for (const name of ["splitMode", "tensorSplit", "mainGpu"] as const)
        if (request[name] !== undefined) requirePatched(`options.${name}`);
    const userPlaced = Object.keys(userPlacement).length > 0;

    if (request.replicas === "per-gpu") {
        if (gpuCount === 0) throw new PlacementError(`options.replicas "per-gpu" needs GPUs but ${found}; give a number of replicas instead (e.g. 2)`);
        if (gpuCount === 1) return [{}];
        requirePatched(`options.replicas "per-gpu" (one model pinned to each of ${gpuCount} GPUs)`);
        return Array.from({length: gpuCount}, (_, index) => ({splitMode: "none", mainGpu: index}));
    }
    const count = request.replicas ?? workers;
    if (request.replicas !== undefined && !userPlaced && gpuCount > 1) {
        requirePatched(`options.replicas ${request.replicas} (replicas pinned round-robin to ${gpuCount} GPUs)`);
        return Array.from({length: count}, (_, index) => ({splitMode: "none", mainGpu: index % gpuCount}));
    }
    return Array.from({length: count}, () => ({...userPlacement}));
}

/** For the startup line: where the workers' models go. */
export function describePlacement(placements: WorkerPlacement[], detection: GpuDetection): string {
    const one = (placement: WorkerPlacement) => {
        const parts = [
            placement.splitMode !== undefined ? `split ${placement.splitMode}` : null,
            placement.mainGpu !== undefined ? `main GPU ${placement.mainGpu}${detection.devices[placement.mainGpu] !== undefined ? ` (${detection.devices[placement.mainGpu]})` : ""}` : null,
            placement.tensorSplit !== undefined ? `tensor split ${placement.tensorSplit.map((ratio) => Number(ratio.toFixed(3))).join(",")}` : null
        ].filter((part) => part !== null);
        return parts.length === 0 ? "llama.cpp defaults" : parts.join(", ");
    };
    const distinct = [...new Set(placements.map(one))];
    return `placement: ${placements.length} replica${placements.length === 1 ? "" : "s"}, ${distinct.length === 1 ? distinct[0] : placements.map((placement, index) => `#${index}: ${one(placement)}`).join("; ")}`;
}
