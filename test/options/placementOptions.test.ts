import {describe, expect, test} from "vitest";
import {resolveJobOptions} from "../../src/jobs/jobOptions.js";
import {validateAnnotateOptions} from "../../src/options/validateAnnotateOptions.js";
import {normaliseRatios} from "../../src/options/validatePlacementOptions.js";
import {validationMessage} from "../support/validationMessage.js";

const base = {input: "in.jsonl", model: "m.gguf", output: "out"};

describe("placement option messages", () => {
    test.each([
        [{splitMode: "rows"}, "options.splitMode must be one of none, layer, row"],
        [{tensorSplit: []}, "options.tensorSplit must be a non-empty array of numbers >= 0 (one per GPU, e.g. [3, 1])"],
        [{tensorSplit: [3, -1]}, "options.tensorSplit must be a non-empty array of numbers >= 0 (one per GPU, e.g. [3, 1])"],
        [{tensorSplit: [1, Number.NaN]}, "options.tensorSplit must be a non-empty array of numbers >= 0 (one per GPU, e.g. [3, 1])"],
        [{tensorSplit: "3,1"}, "options.tensorSplit must be a non-empty array of numbers >= 0 (one per GPU, e.g. [3, 1])"],
        [{tensorSplit: Array.from({length: 17}, () => 1)}, "options.tensorSplit must have at most 16 entries (llama.cpp's device limit)"],
        [{tensorSplit: [0, 0]}, "options.tensorSplit must have at least one ratio > 0"],
        [{mainGpu: -1}, "options.mainGpu must be a non-negative integer"],
        [{mainGpu: 0.5}, "options.mainGpu must be a non-negative integer"],
        [{replicas: 0}, 'options.replicas must be "per-gpu" or a positive integer'],
        [{replicas: "all"}, 'options.replicas must be "per-gpu" or a positive integer'],
        [{replicas: 2, workers: 2}, "options.replicas and options.workers cannot be used together; replicas replaces workers"],
        [
            {splitMode: "none", tensorSplit: [1, 1]},
            'options.tensorSplit cannot be used with options.splitMode "none" (the model stays on one GPU); use splitMode "layer" or "row"'
        ],
        [
            {replicas: "per-gpu", mainGpu: 1},
            'options.replicas "per-gpu" places one whole model on each GPU, so it cannot be used with options.splitMode "layer"/"row", options.tensorSplit or options.mainGpu'
        ],
        [
            {replicas: "per-gpu", splitMode: "layer"},
            'options.replicas "per-gpu" places one whole model on each GPU, so it cannot be used with options.splitMode "layer"/"row", options.tensorSplit or options.mainGpu'
        ],
        [
            {backend: "openai", baseUrl: "http://localhost:8000/v1", tensorSplit: [1, 1]},
            "options.splitMode, options.tensorSplit, options.mainGpu, options.devices and options.replicas place a local model; the openai backend's server places its own (remove them)"
        ],
        [{devices: []}, 'options.devices must be a non-empty array of distinct llama.cpp device names (e.g. ["CUDA0", "CUDA1"]; see airlabel inspect --gpus)'],
        [
            {devices: ["CUDA0", "CUDA0"]},
            'options.devices must be a non-empty array of distinct llama.cpp device names (e.g. ["CUDA0", "CUDA1"]; see airlabel inspect --gpus)'
        ],
        [
            {devices: "CUDA0"},
            'options.devices must be a non-empty array of distinct llama.cpp device names (e.g. ["CUDA0", "CUDA1"]; see airlabel inspect --gpus)'
        ]
    ] as [Record<string, unknown>, string][])("%j -> %s", (options, message) => {
        expect(validationMessage({...base, ...options})).toBe(message);
    });

    test("tensor split ratios are normalised to sum to 1", () => {
        expect(validateAnnotateOptions({...base, tensorSplit: [3, 1]}).placement.tensorSplit).toEqual([0.75, 0.25]);
        expect(validateAnnotateOptions({...base, tensorSplit: [0, 2, 2]}).placement.tensorSplit).toEqual([0, 0.5, 0.5]);
        expect(normaliseRatios([1])).toEqual([1]);
    });

    test("valid combinations are accepted as given", () => {
        expect(validateAnnotateOptions({...base, replicas: "per-gpu"}).placement).toEqual({
            splitMode: undefined,
            tensorSplit: undefined,
            mainGpu: undefined,
            devices: undefined,
            replicas: "per-gpu"
        });
        expect(validateAnnotateOptions({...base, replicas: 3, splitMode: "layer", tensorSplit: [1, 1]}).placement.replicas).toBe(3);
        expect(validateAnnotateOptions({...base, splitMode: "none", mainGpu: 2}).placement).toMatchObject({splitMode: "none", mainGpu: 2});
    });

    test("the CLI flags become these options (--tensor-split 3,1, --replicas per-gpu|N, --devices A,B)", () => {
        const flags = {input: "in.jsonl", model: "m.gguf", output: "out"};
        const parsed = resolveJobOptions({...flags, tensorSplit: "3, 1", replicas: "2", devices: "CUDA0, CUDA1", splitMode: "layer", mainGpu: 1});
        expect(parsed).toMatchObject({tensorSplit: [3, 1], replicas: 2, devices: ["CUDA0", "CUDA1"], splitMode: "layer", mainGpu: 1});
        expect(validateAnnotateOptions(parsed).placement).toEqual({
            splitMode: "layer",
            tensorSplit: [0.75, 0.25],
            mainGpu: 1,
            devices: ["CUDA0", "CUDA1"],
            replicas: 2
        });
        expect(resolveJobOptions({...flags, replicas: "per-gpu"}).replicas).toBe("per-gpu");
        expect(validationMessage(resolveJobOptions({...flags, replicas: "2x"}) as Record<string, unknown>)).toBe(
            'options.replicas must be "per-gpu" or a positive integer'
        );
        expect(validationMessage(resolveJobOptions({...flags, tensorSplit: "3,x"}) as Record<string, unknown>)).toBe(
            "options.tensorSplit must be a non-empty array of numbers >= 0 (one per GPU, e.g. [3, 1])"
        );
    });
});
