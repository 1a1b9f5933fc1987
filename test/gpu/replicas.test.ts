import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {jobFixture} from "../support/fixtures.js";

const rows = Array.from({length: 24}, (_, i) => ({id: `r${i}`, text: `item ${i}: ${"a tiny fox ".repeat(1 + (i % 4))}`}));
const schema = {type: "object", properties: {label: {enum: ["a", "b", "c"]}, n: {type: "integer"}}, required: ["label", "n"], additionalProperties: false};
let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
});

/** Shard file names and their row counts: the output's layout. */
function layout(output: string): Record<string, number> {
    return Object.fromEntries(
        fs
            .readdirSync(output)
            .filter((name) => name.endsWith(".jsonl"))
            .sort()
            .map((name) => [
                name,
                fs
                    .readFileSync(path.join(output, name), "utf8")
                    .split("\n")
                    .filter((line) => line.length > 0).length
            ])
    );
}

describe("replicas on CPU (the CPU backend standing in for GPUs)", () => {
    // one sequence per worker and one thread each: every row is decoded alone, so greedy answers do not depend on
    // which replica took the row
    const base = () => ({input, model, template: "Classify: {text}", schema, maxTokens: 24, parallel: 1, threads: 1, shardSize: 10, gpu: "cpu" as const});

    test("2 replicas write the same rows, in the same layout, as 1", async () => {
        const logs: string[] = [];
        const one = await annotate({...base(), output: path.join(dir, "one")});
        const two = await annotate({...base(), output: path.join(dir, "two"), replicas: 2, onLog: (line) => logs.push(line)});
        expect(one).toMatchObject({totalRows: 24, okRows: 24, complete: true});
        expect(two).toMatchObject({totalRows: 24, okRows: 24, complete: true});
        expect(logs).toContain("placement: 2 replicas, llama.cpp defaults");
        expect(logs.some((line) => /^engine: .*parallel 1 x 2 workers/u.test(line))).toBe(true);
        const byIdx = (records: Record<string, unknown>[]) => [...records].sort((a, b) => (a.idx as number) - (b.idx as number));
        const [outOne, outTwo] = [await readOutput(path.join(dir, "one")), await readOutput(path.join(dir, "two"))];
        expect(byIdx(outTwo.rows)).toEqual(byIdx(outOne.rows));
        expect(outTwo.errors).toEqual(outOne.errors);
        expect(layout(path.join(dir, "two"))).toEqual(layout(path.join(dir, "one")));
    });

    test("per-gpu replicas on a machine without GPUs are refused before any model loads", async () => {
        await expect(annotate({...base(), output: path.join(dir, "per-gpu"), replicas: "per-gpu"})).rejects.toThrow(
            'options.replicas "per-gpu" needs GPUs but the cpu backend has no GPU; give a number of replicas instead (e.g. 2)'
        );
    });

    test("a tensor split on CPU is refused with the count found", async () => {
        await expect(annotate({...base(), output: path.join(dir, "split"), tensorSplit: [3, 1]})).rejects.toThrow(
            "options.tensorSplit has 2 entries but the cpu backend has no GPU; give one ratio per GPU"
        );
    });
});
