import {describe, expect, test} from "vitest";
import {validationMessage} from "../support/validationMessage.js";

const base = {input: "in.jsonl", model: "m.gguf", output: "out"};

describe("hook and in-memory row options are checked at the boundary", () => {
    test.each([
        [{hooks: ""}, "options.hooks must be the path of an ES module"],
        [{hooks: 3}, "options.hooks must be the path of an ES module"],
        [{hookTimeoutMs: 0}, "options.hookTimeoutMs must be a positive integer"],
        [{records: [1, 2]}, "options.records must be an array of objects, or a record list ({length, at(ordinal)})"],
        [{records: {}}, "options.records must be an array of objects, or a record list ({length, at(ordinal)})"],
        [{seedColumn: ""}, "options.seedColumn must be a non-empty string"]
    ])("%j", (options, message) => {
        expect(validationMessage({...base, ...options})).toBe(message);
    });
});
