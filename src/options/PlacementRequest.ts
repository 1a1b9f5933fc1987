/** The placement options of a run after static validation (no device knowledge yet). */
export type PlacementRequest = {
    splitMode: "none" | "layer" | "row" | undefined;
    /** Normalised to sum to 1. */
    tensorSplit: number[] | undefined;
    mainGpu: number | undefined;
    /** llama.cpp device names ("CUDA0") the model may use, in this order. */
    devices: string[] | undefined;
    /** "per-gpu", or a worker count; undefined = one worker (or `workers`). */
    replicas: "per-gpu" | number | undefined;
};

/** What one worker passes to llama.cpp beyond gpuLayers (every field optional: absent = llama.cpp's default). */
export type WorkerPlacement = {
    splitMode?: "none" | "layer" | "row";
    tensorSplit?: number[];
    mainGpu?: number;
    devices?: string[];
};
