import type {GpuDetection} from "./detectGpus.js";
import {PlacementError} from "./PlacementError.js";
import type {PlacementRequest, WorkerPlacement} from "../../../options/PlacementRequest.js";
import {buildCommandFor} from "./placementSupport.js";

/**
 * Turns the validated placement options into one placement per worker, against the GPUs found: checks what needs
 * the device count (tensor split length, main GPU index, device names, per-GPU replicas) and refuses an option the
 * loaded build cannot apply, naming the option and the command that builds the patched addon. Never drops an option.
 *
 * - no placement option: `workers` workers with llama.cpp's defaults (stock builds are fine);
 * - `replicas: "per-gpu"`: one worker per GPU (per listed device with `devices`), each pinned to its GPU;
 * - `replicas: N` on several GPUs without other placement options: worker i pinned to GPU i mod count;
 * - otherwise every worker gets the requested split mode, tensor split, main GPU and devices.
 */
export function resolvePlacement(request: PlacementRequest, detection: GpuDetection, workers: number): WorkerPlacement[] {
    const requirePatched = (option: string) => {
        if (!detection.patched)
            throw new PlacementError(
                `${option} needs airlabel's patched llama.cpp build (the loaded ${detection.buildType === "localBuild" ? "host build" : "prebuilt binary"} does not apply split_mode/tensor_split/main_gpu/devices); build it with: ${buildCommandFor(detection.backend)}`
            );
    };
    const found = (count: number) =>
        count === 0
            ? `the ${detection.backend} backend has no GPU`
            : `${count} GPU${count === 1 ? " was" : "s were"} found (${detection.devices.map((name, index) => `${index}: ${name}`).join(", ")})`;

    // with devices, the model's device list (what mainGpu and tensorSplit index) is the one given
    let gpus = detection.devices.length;
    let of = found(gpus);
    if (request.devices !== undefined) {
        requirePatched("options.devices");
        const known = detection.deviceNames;
        const unknown = request.devices.find((name) => !known.includes(name));
        if (unknown !== undefined)
            throw new PlacementError(
                `options.devices names "${unknown}", which is not a GPU found (${known.length === 0 ? `the ${detection.backend} backend has none` : known.map((name, index) => `${name}: ${detection.devices[index] ?? "?"}`).join(", ")}); see airlabel inspect --gpus`
            );
        gpus = request.devices.length;
        of = `options.devices lists ${gpus} (${request.devices.join(", ")})`;
    }

    if (request.tensorSplit !== undefined && request.tensorSplit.length !== gpus)
        throw new PlacementError(
            `options.tensorSplit has ${request.tensorSplit.length} entr${request.tensorSplit.length === 1 ? "y" : "ies"} but ${of}; give one ratio per GPU`
        );
    if (request.mainGpu !== undefined && gpus === 0 && request.mainGpu !== 0)
        throw new PlacementError(`options.mainGpu is ${request.mainGpu} but ${of}; use 0 or remove it`);
    if (request.mainGpu !== undefined && gpus > 0 && request.mainGpu >= gpus)
        throw new PlacementError(`options.mainGpu is ${request.mainGpu} but ${of}; use an index from 0 to ${gpus - 1}`);

    const userPlacement: WorkerPlacement = {
        ...(request.splitMode !== undefined ? {splitMode: request.splitMode} : {}),
        ...(request.tensorSplit !== undefined ? {tensorSplit: request.tensorSplit} : {}),
        ...(request.mainGpu !== undefined ? {mainGpu: request.mainGpu} : {})
    };
    for (const name of ["splitMode", "tensorSplit", "mainGpu"] as const) if (request[name] !== undefined) requirePatched(`options.${name}`);
    const userPlaced = Object.keys(userPlacement).length > 0;
    // one GPU for replica i: its own device when devices are listed, else main GPU i with no split
    const pinned = (index: number): WorkerPlacement =>
        request.devices !== undefined ? {devices: [request.devices[index % gpus]!]} : {splitMode: "none", mainGpu: index % gpus};

    if (request.replicas === "per-gpu") {
        if (gpus === 0) throw new PlacementError(`options.replicas "per-gpu" needs GPUs but ${of}; give a number of replicas instead (e.g. 2)`);
        if (gpus === 1) return [request.devices !== undefined ? pinned(0) : {}];
        requirePatched(`options.replicas "per-gpu" (one model pinned to each of ${gpus} GPUs)`);
        return Array.from({length: gpus}, (_, index) => pinned(index));
    }
    const count = request.replicas ?? workers;
    if (request.replicas !== undefined && !userPlaced && gpus > 1) {
        requirePatched(`options.replicas ${request.replicas} (replicas pinned round-robin to ${gpus} GPUs)`);
        return Array.from({length: count}, (_, index) => pinned(index));
    }
    const placement = request.devices !== undefined ? {...userPlacement, devices: request.devices} : userPlacement;
    return Array.from({length: count}, () => ({...placement}));
}

/** For the startup line: where the workers' models go. */
export function describePlacement(placements: WorkerPlacement[], detection: GpuDetection): string {
    const one = (placement: WorkerPlacement) => {
        const parts = [
            placement.devices !== undefined ? `device${placement.devices.length === 1 ? "" : "s"} ${placement.devices.join(",")}` : null,
            placement.splitMode !== undefined ? `split ${placement.splitMode}` : null,
            placement.mainGpu !== undefined
                ? `main GPU ${placement.mainGpu}${placement.devices === undefined && detection.devices[placement.mainGpu] !== undefined ? ` (${detection.devices[placement.mainGpu]})` : ""}`
                : null,
            placement.tensorSplit !== undefined ? `tensor split ${placement.tensorSplit.map((ratio) => Number(ratio.toFixed(3))).join(",")}` : null
        ].filter((part) => part !== null);
        return parts.length === 0 ? "llama.cpp defaults" : parts.join(", ");
    };
    const distinct = [...new Set(placements.map(one))];
    return `placement: ${placements.length} replica${placements.length === 1 ? "" : "s"}, ${distinct.length === 1 ? distinct[0] : placements.map((placement, index) => `#${index}: ${one(placement)}`).join("; ")}`;
}
