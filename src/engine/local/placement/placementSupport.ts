import type {Llama} from "node-llama-cpp";

/** What airlabel's patched addon reports (native/patches/airlabel-placement.patch). */
export type PlacementSupport = {
    patch: number;
    maxDevices: number;
    options: string[];
    /** The GPUs a model can be placed on, in llama.cpp's order: `name` is what `devices` takes ("CUDA0"), `description` the card. */
    devices: {name: string; description: string}[];
};

/**
 * Whether the loaded llama.cpp addon is airlabel's patched build, which reads splitMode, tensorSplit, mainGpu and
 * devices per model; null for the stock node-llama-cpp binaries (they ignore those options).
 */
export function placementSupport(llama: Llama): PlacementSupport | null {
    const bindings = (llama as unknown as {_bindings?: {getAirlabelPlacement?: () => PlacementSupport}})._bindings;
    return typeof bindings?.getAirlabelPlacement === "function" ? bindings.getAirlabelPlacement() : null;
}

/** The command that builds the patched addon for a backend. */
export function buildCommandFor(backend: string): string {
    return `npm run build:native -- --gpu ${backend === "auto" ? "cuda" : backend}`;
}
