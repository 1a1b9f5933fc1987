import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, describe, expect, test} from "vitest";
import {ensureGeneratedModel, formatParameterCount, generatedModelFileName} from "../../src/gguf/ensureGeneratedModel.js";
import {parseParameterCount} from "../../src/gguf/parseParameterCount.js";
import {InvalidOptionError} from "../../src/AirlabelError.js";

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-"));
afterAll(() => fs.rmSync(tempDir, {recursive: true, force: true}));

describe("parseParameterCount", () => {
    test("accepts plain and suffixed counts", () => {
        expect(parseParameterCount("1M")).toBe(1_000_000);
        expect(parseParameterCount("85M")).toBe(85_000_000);
        expect(parseParameterCount("100m")).toBe(100_000_000);
        expect(parseParameterCount("1.5B")).toBe(1_500_000_000);
        expect(parseParameterCount("250000")).toBe(250_000);
        expect(parseParameterCount("250K")).toBe(250_000);
        expect(parseParameterCount("250_000")).toBe(250_000);
        expect(parseParameterCount(" 2 M ")).toBe(2_000_000);
    });

    test("rejects anything else with a one-line message naming the text", () => {
        for (const bad of ["", "abc", "0", "-1M", "1.5", "1e6", "1MB", "M", "1..5M", "0.0000001K"]) {
            expect(() => parseParameterCount(bad), bad).toThrow(InvalidOptionError);
            expect(() => parseParameterCount(bad), bad).toThrow(`invalid parameter count ${JSON.stringify(bad)}; use a positive count such as 1M`);
        }
    });
});

describe("ensureGeneratedModel", () => {
    test("generates <dir>/airlabel-<params>-<type>-s<seed>.gguf once and reuses it", async () => {
        const dir = path.join(tempDir, "models");
        const first = await ensureGeneratedModel({dir, parameters: 250_000, type: "q8_0", seed: 3});
        expect(first).toBe(path.join(dir, "airlabel-250K-q8_0-s3.gguf"));
        expect(fs.readFileSync(first).subarray(0, 4).toString()).toBe("GGUF");

        const marker = new Date(2001, 0, 1);
        fs.utimesSync(first, marker, marker);
        const [second, third] = await Promise.all([
            ensureGeneratedModel({dir, parameters: 250_000, type: "q8_0", seed: 3}),
            ensureGeneratedModel({dir, parameters: 250_000, type: "q8_0", seed: 3})
        ]);
        expect(second).toBe(first);
        expect(third).toBe(first);
        expect(fs.statSync(first).mtime.getTime()).toBe(marker.getTime());

        const defaults = await ensureGeneratedModel({dir, parameters: 200_000});
        expect(path.basename(defaults)).toBe("airlabel-200K-f16-s42.gguf");
        expect(fs.readdirSync(dir).sort()).toEqual(["airlabel-200K-f16-s42.gguf", "airlabel-250K-q8_0-s3.gguf"]);
    });

    test("options that change the file change its name", () => {
        expect(generatedModelFileName({parameters: 1_000_000})).toBe("airlabel-1M-f16-s42.gguf");
        expect(generatedModelFileName({parameters: 1_500_000_000, type: "f32", seed: 0})).toBe("airlabel-1.5B-f32-s0.gguf");
        expect(generatedModelFileName({parameters: 1_234_567, contextLength: 2048, chatTemplate: false})).toBe("airlabel-1234567-f16-s42-c2048-nochat.gguf");
        expect(generatedModelFileName({parameters: 1_000_000, name: "a"})).not.toBe(generatedModelFileName({parameters: 1_000_000, name: "b"}));
        expect(formatParameterCount(85_000_000)).toBe("85M");
    });
});
