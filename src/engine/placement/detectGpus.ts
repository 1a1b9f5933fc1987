import type {Llama} from "node-llama-cpp";
import {placementSupport} from "./placementSupport.js";

/** The GPUs llama.cpp sees through the loaded build, and whether that build can place a model. */
export type GpuDetection = {
    /** The loaded backend: "cpu", "cuda", "metal" or "vulkan". */
    backend: "cpu" | "cuda" | "metal" | "vulkan",
    /** Device names in llama.cpp's order (the indexes `mainGpu` and `tensorSplit` refer to); empty on CPU. */
    devices: string[],
    /** Video memory over all devices in bytes (null on CPU; unified memory counts on Metal). */
    vram: {total: number, free: number} | null,
    /** "localBuild" (npm run build:native) or "prebuilt". */
    buildType: "localBuild" | "prebuilt",
    /** True when the loaded addon is airlabel's patched build (split mode, tensor split, main GPU per model). */
    patched: boolean
};

/** Asks the loaded llama.cpp build which GPUs it sees (nothing is loaded onto them). */
export async function detectGpus(llama: Llama): Promise<GpuDetection> {
    const backend = llama.gpu === false ? "cpu" : llama.gpu;
    const devices = backend === "cpu" ? [] : await llama.getGpuDeviceNames();
    const vram = backend === "cpu" ? null : await llama.getVramState();
    return {
        backend,
        devices,
        vram: vram === null ? null : {total: vram.total, free: vram.free},
        buildType: llama.buildType,
        patched: placementSupport(llama) !== null
    };
}
