import {describe, expect, it} from "vitest";
import {assignModelIds} from "../../src/compare/assignModelIds.js";

describe("assignModelIds", () => {
    it("names models after their files, safe and unique; given names win", () => {
        expect(assignModelIds(["/m/a.gguf", "/other/a.gguf", "/m/Qwen2.5 7B (q4).gguf", {name: "judge", model: "/m/j.gguf"}]).map((m) => m.id)).toEqual([
            "a",
            "a-2",
            "Qwen2.5-7B-q4-",
            "judge"
        ]);
        expect(assignModelIds([{model: "Qwen/Qwen2.5-7B-Instruct", backend: "openai", baseUrl: "http://h/v1"}, "x.gguf"]).map((m) => m.id)).toEqual([
            "Qwen2.5-7B-Instruct",
            "x"
        ]);
        expect(assignModelIds(["meta-llama/Llama-3-8B"], "models", "vllm")[0]!.id).toBe("Llama-3-8B");
    });

    it("refuses unsafe and repeated names with the entry's path", () => {
        expect(() => assignModelIds([])).toThrow("options.models must list at least one model (a GGUF path or {name, model, ...})");
        expect(() => assignModelIds([{name: "../x", model: "a.gguf"}])).toThrow(/options\.models\[0\]\.name "\.\.\/x" must be 1-64 letters/u);
        expect(() =>
            assignModelIds([
                {name: "a", model: "a.gguf"},
                {name: "a", model: "b.gguf"}
            ])
        ).toThrow('options.models[1].name "a" is given twice; give each model its own name');
        expect(() => assignModelIds(["a.gguf", 3 as unknown as string])).toThrow('options.models[1] must be a model path or an object with a "model" string');
    });
});
