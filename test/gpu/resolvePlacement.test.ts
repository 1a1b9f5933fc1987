import {describe, expect, test} from "vitest";
import {InvalidOptionError} from "../../src/AirlabelError.js";
import type {GpuDetection} from "../../src/engine/local/placement/detectGpus.js";
import type {PlacementRequest} from "../../src/options/PlacementRequest.js";
import {PlacementError} from "../../src/engine/local/placement/PlacementError.js";
import {describePlacement, resolvePlacement} from "../../src/engine/local/placement/resolvePlacement.js";

// What detectGpus reports on the machines these rules are for (plain data: resolvePlacement only reads it).
const cpu: GpuDetection = {backend: "cpu", devices: [], deviceNames: [], vram: null, buildType: "localBuild", patched: true};
const twoGpus: GpuDetection = {
    backend: "cuda",
    devices: ["NVIDIA H100", "NVIDIA L4"],
    deviceNames: ["CUDA0", "CUDA1"],
    vram: {total: 104e9, free: 100e9},
    buildType: "localBuild",
    patched: true
};
const threeGpus: GpuDetection = {...twoGpus, devices: ["NVIDIA H100", "NVIDIA L4", "NVIDIA L4"], deviceNames: ["CUDA0", "CUDA1", "CUDA2"]};
const oneGpu: GpuDetection = {...twoGpus, devices: ["NVIDIA H100"], deviceNames: ["CUDA0"]};
const stockTwoGpus: GpuDetection = {...twoGpus, deviceNames: [], buildType: "prebuilt", patched: false};
const none: PlacementRequest = {splitMode: undefined, tensorSplit: undefined, mainGpu: undefined, devices: undefined, replicas: undefined};

function messageOf(request: Partial<PlacementRequest>, detection: GpuDetection, workers = 1): string {
    try {
        resolvePlacement({...none, ...request}, detection, workers);
    } catch (err) {
        expect(err).toBeInstanceOf(PlacementError);
        expect(err).toBeInstanceOf(InvalidOptionError);
        return (err as Error).message;
    }
    throw new Error("expected the placement to be refused");
}

describe("placement against the GPUs found", () => {
    test("no placement option: the workers asked for, with llama.cpp's defaults, on any build", () => {
        expect(resolvePlacement(none, stockTwoGpus, 3)).toEqual([{}, {}, {}]);
        expect(resolvePlacement(none, cpu, 1)).toEqual([{}]);
    });

    test("per-gpu replicas: one model pinned to each GPU; one GPU needs no pinning; no GPU is refused", () => {
        expect(resolvePlacement({...none, replicas: "per-gpu"}, twoGpus, 1)).toEqual([
            {splitMode: "none", mainGpu: 0},
            {splitMode: "none", mainGpu: 1}
        ]);
        expect(resolvePlacement({...none, replicas: "per-gpu"}, oneGpu, 1)).toEqual([{}]);
        expect(messageOf({replicas: "per-gpu"}, cpu)).toBe(
            'options.replicas "per-gpu" needs GPUs but the cpu backend has no GPU; give a number of replicas instead (e.g. 2)'
        );
    });

    test("N replicas: round-robin over several GPUs, N plain workers on CPU, the user's placement for each otherwise", () => {
        expect(resolvePlacement({...none, replicas: 3}, twoGpus, 1)).toEqual([
            {splitMode: "none", mainGpu: 0},
            {splitMode: "none", mainGpu: 1},
            {splitMode: "none", mainGpu: 0}
        ]);
        expect(resolvePlacement({...none, replicas: 2}, cpu, 1)).toEqual([{}, {}]);
        expect(resolvePlacement({...none, replicas: 2, splitMode: "layer", tensorSplit: [0.75, 0.25]}, twoGpus, 1)).toEqual([
            {splitMode: "layer", tensorSplit: [0.75, 0.25]},
            {splitMode: "layer", tensorSplit: [0.75, 0.25]}
        ]);
    });

    test("tensor split needs one ratio per GPU found", () => {
        expect(messageOf({tensorSplit: [0.5, 0.25, 0.25]}, twoGpus)).toBe(
            "options.tensorSplit has 3 entries but 2 GPUs were found (0: NVIDIA H100, 1: NVIDIA L4); give one ratio per GPU"
        );
        expect(messageOf({tensorSplit: [1]}, cpu)).toBe("options.tensorSplit has 1 entry but the cpu backend has no GPU; give one ratio per GPU");
        expect(resolvePlacement({...none, tensorSplit: [0.75, 0.25]}, twoGpus, 1)).toEqual([{tensorSplit: [0.75, 0.25]}]);
    });

    test("main GPU is range-checked against the GPUs found (0 is the only index without a GPU)", () => {
        expect(messageOf({mainGpu: 2}, twoGpus)).toBe("options.mainGpu is 2 but 2 GPUs were found (0: NVIDIA H100, 1: NVIDIA L4); use an index from 0 to 1");
        expect(messageOf({mainGpu: 1}, cpu)).toBe("options.mainGpu is 1 but the cpu backend has no GPU; use 0 or remove it");
        expect(resolvePlacement({...none, splitMode: "none", mainGpu: 1}, twoGpus, 1)).toEqual([{splitMode: "none", mainGpu: 1}]);
        expect(resolvePlacement({...none, splitMode: "none", mainGpu: 0}, cpu, 1)).toEqual([{splitMode: "none", mainGpu: 0}]);
    });

    test("a build that is not patched refuses each placement option by name, with the command that builds it", () => {
        const needs =
            "needs airlabel's patched llama.cpp build (the loaded prebuilt binary does not apply split_mode/tensor_split/main_gpu/devices); build it with: npm run build:native -- --gpu cuda";
        expect(messageOf({splitMode: "row"}, stockTwoGpus)).toBe(`options.splitMode ${needs}`);
        expect(messageOf({tensorSplit: [0.5, 0.5]}, stockTwoGpus)).toBe(`options.tensorSplit ${needs}`);
        expect(messageOf({mainGpu: 1}, stockTwoGpus)).toBe(`options.mainGpu ${needs}`);
        expect(messageOf({replicas: "per-gpu"}, stockTwoGpus)).toBe(`options.replicas "per-gpu" (one model pinned to each of 2 GPUs) ${needs}`);
        expect(messageOf({replicas: 2}, stockTwoGpus)).toBe(`options.replicas 2 (replicas pinned round-robin to 2 GPUs) ${needs}`);
        expect(messageOf({splitMode: "layer"}, {...cpu, buildType: "prebuilt", patched: false})).toBe(
            "options.splitMode needs airlabel's patched llama.cpp build (the loaded prebuilt binary does not apply split_mode/tensor_split/main_gpu/devices); build it with: npm run build:native -- --gpu cpu"
        );
        expect(messageOf({devices: ["CUDA0"]}, stockTwoGpus)).toBe(`options.devices ${needs}`);
    });

    test("devices: names llama.cpp knows, the list mainGpu and tensorSplit then index, and what replicas spread over", () => {
        expect(resolvePlacement({...none, devices: ["CUDA2", "CUDA1"], tensorSplit: [0.5, 0.5]}, threeGpus, 1)).toEqual([
            {devices: ["CUDA2", "CUDA1"], tensorSplit: [0.5, 0.5]}
        ]);
        expect(resolvePlacement({...none, devices: ["CUDA1", "CUDA2"], replicas: "per-gpu"}, threeGpus, 1)).toEqual([
            {devices: ["CUDA1"]},
            {devices: ["CUDA2"]}
        ]);
        expect(resolvePlacement({...none, devices: ["CUDA1", "CUDA2"], replicas: 3}, threeGpus, 1)).toEqual([
            {devices: ["CUDA1"]},
            {devices: ["CUDA2"]},
            {devices: ["CUDA1"]}
        ]);
        expect(resolvePlacement({...none, devices: ["CUDA2"], replicas: "per-gpu"}, threeGpus, 1)).toEqual([{devices: ["CUDA2"]}]);
        expect(messageOf({devices: ["CUDA7"]}, twoGpus)).toBe(
            'options.devices names "CUDA7", which is not a GPU found (CUDA0: NVIDIA H100, CUDA1: NVIDIA L4); see airlabel inspect --gpus'
        );
        expect(messageOf({devices: ["CUDA0"]}, cpu)).toBe(
            'options.devices names "CUDA0", which is not a GPU found (the cpu backend has none); see airlabel inspect --gpus'
        );
        expect(messageOf({devices: ["CUDA0", "CUDA1"], tensorSplit: [0.2, 0.4, 0.4]}, threeGpus)).toBe(
            "options.tensorSplit has 3 entries but options.devices lists 2 (CUDA0, CUDA1); give one ratio per GPU"
        );
        expect(messageOf({devices: ["CUDA1"], mainGpu: 1}, threeGpus)).toBe(
            "options.mainGpu is 1 but options.devices lists 1 (CUDA1); use an index from 0 to 0"
        );
    });

    test("the startup line says where each replica goes", () => {
        expect(
            describePlacement(
                [
                    {splitMode: "none", mainGpu: 0},
                    {splitMode: "none", mainGpu: 1}
                ],
                twoGpus
            )
        ).toBe("placement: 2 replicas, #0: split none, main GPU 0 (NVIDIA H100); #1: split none, main GPU 1 (NVIDIA L4)");
        expect(describePlacement([{devices: ["CUDA1"]}, {devices: ["CUDA2"]}], threeGpus)).toBe("placement: 2 replicas, #0: device CUDA1; #1: device CUDA2");
        expect(describePlacement([{}], cpu)).toBe("placement: 1 replica, llama.cpp defaults");
        expect(describePlacement([{splitMode: "layer", tensorSplit: [0.75, 0.25]}], twoGpus)).toBe("placement: 1 replica, split layer, tensor split 0.75,0.25");
    });
});
