import {describe, expect, it} from "vitest";
import {RowFilter} from "../../src/jobs/RowFilter.js";

const row = {idx: 3, text: "hi", steps: {judge: {annotation: {score: 5, label: "good", tags: ["a"]}}}};

describe("RowFilter", () => {
    it("evaluates the expression form and the object forms", () => {
        const pass = (spec: unknown) => RowFilter.parse(spec, "where").test(row);
        expect(pass("steps.judge.annotation.score >= 5")).toBe(true);
        expect(pass("steps.judge.annotation.score > 5")).toBe(false);
        expect(pass('steps.judge.annotation.label == "good"')).toBe(true);
        expect(pass('steps.judge.annotation.label != "good"')).toBe(false);
        expect(pass("idx < 4")).toBe(true);
        expect(pass({field: "steps.judge.annotation.label", op: "in", value: ["good", "fine"]})).toBe(true);
        expect(pass({field: "steps.judge.annotation.tags", op: "==", value: ["a"]})).toBe(true);
        expect(pass({field: "steps.judge.annotation.missing", op: "exists"})).toBe(false);
        expect(pass({field: "steps.judge.annotation.missing", op: "exists", value: false})).toBe(true);
        expect(pass({all: ["idx == 3", {any: ['text == "no"', {not: "steps.judge.annotation.score < 5"}]}]})).toBe(true);
        // a number never compares with a string, a missing field never passes a comparison
        expect(pass("steps.judge.annotation.label > 3")).toBe(false);
        expect(pass("steps.other.annotation.score >= 0")).toBe(false);
        expect(pass("steps.other.annotation.score != 0")).toBe(true);
    });

    it("compares ids past 2^53 exactly (rows hold them as bigint)", () => {
        const big = {id: 1234567890123456789n, n: 9007199254740993n};
        const pass = (spec: string) => RowFilter.parse(spec, "where").test(big);
        expect(pass("id == 1234567890123456789")).toBe(true);
        expect(pass("id == 1234567890123456768")).toBe(false); // the nearest float, which JSON.parse would give
        expect(pass("n > 9007199254740992")).toBe(true);
        expect(pass("n < 9007199254740994")).toBe(true);
    });

    it("refuses malformed filters with the path of the bad part", () => {
        const parse = (spec: unknown) => () => RowFilter.parse(spec, "job.yaml: steps[1].where");
        expect(parse("score ~ 5")).toThrow('job.yaml: steps[1].where: "score ~ 5" is not "<field> <op> <value>"');
        expect(parse("label == good")).toThrow('job.yaml: steps[1].where: the value good in "label == good" is not JSON; quote strings ("yes")');
        expect(parse({field: "x", op: "~", value: 1})).toThrow("job.yaml: steps[1].where.op: must be one of == != <= >= < > in exists");
        expect(parse({all: ["x == 1", {field: "y"}]})).toThrow("job.yaml: steps[1].where.all[1].op: must be one of");
        expect(parse({field: "x", op: "in", value: 1})).toThrow('job.yaml: steps[1].where.value: must be a list with "in"');
        expect(parse({any: []})).toThrow("job.yaml: steps[1].where.any: must be a non-empty list of conditions");
        expect(parse({field: "x", op: "==", value: 1, extra: 2})).toThrow('job.yaml: steps[1].where: unknown key "extra"');
    });
});
