import {checkOption as check, isFiniteNumber, isPositiveInteger, oneOf, optionalNonNegativeInteger} from "./checkOption.js";
import type {PlacementRequest} from "./PlacementRequest.js";

/** The placement fields of the run options (see `AnnotateOptions`). */
export type PlacementOptions = {
    splitMode?: unknown;
    tensorSplit?: unknown;
    mainGpu?: unknown;
    devices?: unknown;
    replicas?: unknown;
    workers?: unknown;
    backend?: unknown;
};

/** llama.cpp's compile-time device limit (LLAMA_MAX_DEVICES). */
export const maxTensorSplitEntries = 16;

/**
 * Static checks of the placement options (shape and combinations), one exact message each; the checks that need
 * the detected GPUs are in {@link resolvePlacement}. Tensor-split ratios come back normalised to sum to 1.
 */
export function validatePlacementOptions(options: PlacementOptions): PlacementRequest {
    const {tensorSplit, devices, replicas} = options;
    const splitMode = oneOf("splitMode", options.splitMode, ["none", "layer", "row"]);
    check(
        tensorSplit === undefined ||
            (Array.isArray(tensorSplit) && tensorSplit.length > 0 && tensorSplit.every((ratio) => isFiniteNumber(ratio) && ratio >= 0)),
        "options.tensorSplit must be a non-empty array of numbers >= 0 (one per GPU, e.g. [3, 1])"
    );
    check(
        tensorSplit === undefined || tensorSplit.length <= maxTensorSplitEntries,
        `options.tensorSplit must have at most ${maxTensorSplitEntries} entries (llama.cpp's device limit)`
    );
    check(tensorSplit === undefined || tensorSplit.some((ratio) => ratio > 0), "options.tensorSplit must have at least one ratio > 0");
    const mainGpu = optionalNonNegativeInteger("mainGpu", options.mainGpu);
    check(
        devices === undefined ||
            (Array.isArray(devices) &&
                devices.length > 0 &&
                devices.every((name) => typeof name === "string" && name.length > 0) &&
                new Set(devices).size === devices.length),
        'options.devices must be a non-empty array of distinct llama.cpp device names (e.g. ["CUDA0", "CUDA1"]; see airlabel inspect --gpus)'
    );
    check(replicas === undefined || replicas === "per-gpu" || isPositiveInteger(replicas), 'options.replicas must be "per-gpu" or a positive integer');
    check(replicas === undefined || options.workers === undefined, "options.replicas and options.workers cannot be used together; replicas replaces workers");
    check(
        !(splitMode === "none" && tensorSplit !== undefined),
        'options.tensorSplit cannot be used with options.splitMode "none" (the model stays on one GPU); use splitMode "layer" or "row"'
    );
    check(
        !(replicas === "per-gpu" && (splitMode === "layer" || splitMode === "row" || tensorSplit !== undefined || mainGpu !== undefined)),
        'options.replicas "per-gpu" places one whole model on each GPU, so it cannot be used with options.splitMode "layer"/"row", options.tensorSplit or options.mainGpu'
    );
    const placed = splitMode !== undefined || tensorSplit !== undefined || mainGpu !== undefined || devices !== undefined || replicas !== undefined;
    check(
        !placed || options.backend === undefined || options.backend === "local",
        "options.splitMode, options.tensorSplit, options.mainGpu, options.devices and options.replicas place a local model; the openai backend's server places its own (remove them)"
    );
    return {
        splitMode,
        tensorSplit: tensorSplit === undefined ? undefined : normaliseRatios(tensorSplit as number[]),
        mainGpu,
        devices: devices as string[] | undefined,
        replicas
    };
}

/** Ratios scaled to sum to 1 ([3, 1] -> [0.75, 0.25]). */
export function normaliseRatios(ratios: number[]): number[] {
    const total = ratios.reduce((sum, ratio) => sum + ratio, 0);
    return ratios.map((ratio) => ratio / total);
}
