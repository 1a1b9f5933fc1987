import {AirlabelError} from "../AirlabelError.js";
import type {GpuChoice} from "../options/AnnotateOptions.js";

/**
 * Raised when no llama.cpp binary for the chosen backend is installed, or the one there cannot be loaded (a CUDA
 * build without a driver, a binary for another CPU). Names the backend and the command that provides one.
 */
export class LlamaBinaryError extends AirlabelError {
    public constructor(gpu: GpuChoice, cause: unknown) {
        const backend = ({auto: "any", cpu: "CPU", cuda: "CUDA", metal: "Metal", vulkan: "Vulkan"} as const)[gpu];
        const reason = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!.trim() || "unknown reason";
        const fix =
            gpu === "auto" || gpu === "cpu"
                ? "run `npm ci` (installs node-llama-cpp's prebuilt binaries) or `npm run build:native -- --gpu cpu`"
                : `build one with \`npm run build:native -- --gpu ${gpu}\` on a machine with its toolkit and driver, or choose another --gpu`;
        super(`no llama.cpp binary for the ${backend} backend could be loaded (${reason}); ${fix}`, {cause});
    }
}
