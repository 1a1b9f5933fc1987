import path from "node:path";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {describe, expect, test} from "vitest";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// This machine has no Vulkan driver (nor any GPU): node-llama-cpp finds no Vulkan binary that loads here, the
// situation of a CUDA node whose copy lacks a binary. The test first checks that this is so.
async function vulkanLoads(): Promise<boolean> {
    try {
        const llama = await getLlama({gpu: "vulkan", build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.disabled});
        await llama.dispose();
        return true;
    } catch {
        return false;
    }
}

describe("a llama.cpp binary that is missing or does not load", () => {
    test("run and bench say in one line which backend has none and the command that builds one", async () => {
        expect(await vulkanLoads(), "a Vulkan binary loads on this machine; this test needs one where none does").toBe(false);
        const model = await generatedModel();
        const dir = tempDir();
        const input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "a"}]);
        const expected =
            /^airlabel: no llama\.cpp binary for the Vulkan backend could be loaded \(.+\); build one with `npm run build:native -- --gpu vulkan` on a machine with its toolkit and driver, or choose another --gpu\n$/u;
        const run = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "out"), "-p", "{text}", "--gpu", "vulkan"]);
        expect(run.code).toBe(1);
        expect(
            run.stderr
                .split("\n")
                .filter((line) => line.startsWith("airlabel: no llama.cpp"))
                .join("\n") + "\n"
        ).toMatch(expected);
        expect(run.stderr).not.toContain("a bug");
        const bench = await runCli(["bench", "-m", model, "--parallel", "1", "--gpu", "vulkan"]);
        expect(bench.code).toBe(1);
        expect(bench.stderr).toMatch(expected);
        expect(bench.stdout).toBe("");
    });
});
