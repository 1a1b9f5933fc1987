import type {Llama} from "node-llama-cpp";
import {placementSupport} from "./placementSupport.js";

/** The GPUs llama.cpp sees through the loaded build, and whether that build can place a model. */
export type GpuDetection = {
    /** The loaded backend: "cpu", "cuda", "metal" or "vulkan". */
    backend: "cpu" | "cuda" | "metal" | "vulkan";
    /** The GPUs (their descriptions) in llama.cpp's order (the indexes `mainGpu` and `tensorSplit` refer to); empty on CPU. */
    devices: string[];
    /** llama.cpp's names of the same GPUs ("CUDA0"), which `devices` takes; known only from the patched build (else empty). */
    deviceNames: string[];
    /** Video memory over all devices in bytes (null on CPU; unified memory counts on Metal). */
    vram: {total: number; free: number} | null;
    /** "localBuild" (npm run build:native) or "prebuilt". */
    buildType: "localBuild" | "prebuilt";
    /** True when the loaded addon is airlabel's patched build (split mode, tensor split, main GPU per model). */
    patched: boolean;
};

/** Asks the loaded llama.cpp build which GPUs it sees (nothing is loaded onto them). */
export async function detectGpus(llama: Llama): Promise<GpuDetection> {
    const backend = llama.gpu === false ? "cpu" : llama.gpu;
    const support = placementSupport(llama);
    // the patched build lists the devices the way llama.cpp picks them for a model; the stock one, every GPU
    const devices =
        backend === "cpu" ? [] : support?.devices !== undefined ? support.devices.map((device) => device.description) : await llama.getGpuDeviceNames();
    const vram = backend === "cpu" ? null : await llama.getVramState();
    return {
        backend,
        devices,
        deviceNames: backend === "cpu" ? [] : (support?.devices?.map((device) => device.name) ?? []),
        vram: vram === null ? null : {total: vram.total, free: vram.free},
        buildType: llama.buildType,
        patched: support !== null
    };
}
