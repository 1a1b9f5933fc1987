import {expect, test} from "vitest";
import {loadLlama} from "../../src/llama/loadLlama.js";

test("one llama.cpp instance per backend choice in a thread, however many steps and prepares ask for it", async () => {
    const first = await loadLlama("cpu");
    const listeners = process.listenerCount("beforeExit");
    const again = await Promise.all(Array.from({length: 12}, () => loadLlama("cpu")));
    expect(again.every((llama) => llama === first)).toBe(true);
    // node-llama-cpp adds beforeExit listeners per instance: 12 more instances would trip Node's MaxListenersExceededWarning
    expect(process.listenerCount("beforeExit")).toBe(listeners);
});
