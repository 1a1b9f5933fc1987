import type {Llama, LlamaModel} from "node-llama-cpp";
import {PlacementError} from "./PlacementError.js";
import type {WorkerPlacement} from "../../../options/PlacementRequest.js";
import {buildCommandFor, placementSupport} from "./placementSupport.js";
import {withAddonOptions} from "./withAddonOptions.js";

/**
 * Loads a model with llama.cpp placement parameters. node-llama-cpp's `LlamaModel` passes a fixed set of options
 * to the addon's `AddonModel` constructor, so for the duration of this load the thread's `AddonModel` is wrapped
 * to add `splitMode`, `tensorSplit` and `mainGpu` to that same options object, which the patched addon reads
 * (native/patches/airlabel-placement.patch). Per model and per thread: worker threads of one process can pin
 * their replicas to different GPUs. Without placement it is a plain `loadModel`; with placement on a build that
 * is not patched it throws instead of loading a model that would silently ignore it.
 */
export async function loadPlacedModel(
    llama: Llama,
    options: {modelPath: string; gpuLayers: number | "max" | "auto"; placement: WorkerPlacement}
): Promise<LlamaModel> {
    const extra = Object.fromEntries(Object.entries(options.placement).filter(([, value]) => value !== undefined));
    if (Object.keys(extra).length === 0) return await llama.loadModel({modelPath: options.modelPath, gpuLayers: options.gpuLayers});
    if (placementSupport(llama) === null)
        throw new PlacementError(
            `options.${Object.keys(extra)[0]} needs airlabel's patched llama.cpp build, which this worker did not load; build it with: ${buildCommandFor(llama.gpu === false ? "cpu" : llama.gpu)}`
        );
    const bindings = (llama as unknown as {_bindings: Record<string, unknown>})._bindings;
    return await withAddonOptions(bindings, "AddonModel", extra, () => llama.loadModel({modelPath: options.modelPath, gpuLayers: options.gpuLayers}));
}

/**
 * Which replica a worker thread is: each worker takes the next slot of a counter shared by the pool (a
 * SharedArrayBuffer in `workerData`), so worker i gets placement i (a worker piscina restarts wraps around).
 */
export function claimPlacement(placements: WorkerPlacement[] | undefined, claims: SharedArrayBuffer | undefined): WorkerPlacement {
    if (placements === undefined || placements.length === 0 || claims === undefined) return {};
    const slot = Atomics.add(new Int32Array(claims), 0, 1);
    return placements[slot % placements.length]!;
}
