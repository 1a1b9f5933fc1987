import path from "node:path";
import {describe, expect, test} from "vitest";
import {runCli, tempDir, writeJsonl} from "../support/fixtures.js";

describe("airlabel prepare with the openai backend", () => {
    test("needs no GGUF file: prompt tokens are estimated as ceil(UTF-8 bytes / 4), no context size", async () => {
        const dir = tempDir();
        const texts = ["short", "a bit longer text", "héllo wörld ❤️ with more words in it"];
        const input = writeJsonl(
            path.join(dir, "in.jsonl"),
            texts.map((text) => ({text}))
        );
        const result = await runCli([
            "prepare",
            "-i",
            input,
            "-o",
            path.join(dir, "out"),
            "-p",
            "Q: {text}",
            "--backend",
            "openai",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "-m",
            "org/some-model",
            "--json"
        ]);
        expect(result.code, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as {
            rows: number;
            toGenerate: number;
            contextSize: number;
            promptTokens: {min: number; max: number; total: number};
        };
        const estimates = texts.map((text) => Math.ceil(Buffer.byteLength(`Q: ${text}`, "utf8") / 4));
        expect(summary).toMatchObject({rows: 3, toGenerate: 3, contextSize: 0});
        expect(summary.promptTokens).toEqual({total: estimates.reduce((a, b) => a + b, 0), min: Math.min(...estimates), max: Math.max(...estimates)});
    });

    test("a missing --base-url is named", async () => {
        const dir = tempDir();
        const input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "x"}]);
        const result = await runCli(["run", "-i", input, "-o", path.join(dir, "out"), "--backend", "vllm", "-m", "org/some-model"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe("airlabel: options.baseUrl must be an http:// or https:// URL (the server's API root, e.g. http://host:8000/v1)\n");
    });
});
