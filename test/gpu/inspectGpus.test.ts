import {describe, expect, test} from "vitest";
import type {GpuInspection} from "../../src/engine/local/placement/inspectGpus.js";
import {runCli} from "../support/fixtures.js";
import {patchedCpuBuild} from "./support.js";

describe("airlabel inspect --gpus", () => {
    test("on this machine: no GPU, the CPU backend, the builds installed (JSON)", async () => {
        const run = await runCli(["inspect", "--gpus", "--gpu", "cpu", "--json"]);
        expect(run.code, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout) as GpuInspection;
        expect(report).toMatchObject({
            backend: "cpu",
            devices: [],
            deviceNames: [],
            vram: null,
            patched: patchedCpuBuild,
            buildCommand: "npm run build:native -- --gpu cpu"
        });
        for (const binary of [...report.prebuiltBinaries, ...report.localBuilds])
            expect(binary).toEqual({name: expect.any(String), gpu: expect.any(String), patched: expect.any(Boolean)});
        // node-llama-cpp's prebuilt binaries are never patched; the build made here is when build:native made it
        expect(report.prebuiltBinaries.every((binary) => !binary.patched)).toBe(true);
        if (patchedCpuBuild) expect(report.localBuilds).toContainEqual(expect.objectContaining({gpu: "cpu", patched: true}));
    });

    test("the readable report names the backend, the GPUs and the builds", async () => {
        const run = await runCli(["inspect", "--gpus", "--gpu", "cpu"]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^backend {8}cpu \((host build|prebuilt binary), /u);
        expect(run.stdout).toContain("\ngpus           none found\n");
        expect(run.stdout).toMatch(/\nprebuilt {7}.+\nlocal builds {3}.+\n$/u);
    });

    test("inspect needs a dataset or --gpus, not both", async () => {
        const neither = await runCli(["inspect"]);
        expect(neither.code).toBe(2);
        expect(neither.stderr.trim()).toBe("airlabel: inspect needs a dataset (file, folder, glob or -), or --gpus");
        const both = await runCli(["inspect", "data.jsonl", "--gpus"]);
        expect(both.code).toBe(2);
        expect(both.stderr.trim()).toBe("airlabel: inspect --gpus takes no dataset; run inspect DATASET and inspect --gpus separately");
    });
});
