import fs from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {writeComparisonFile} from "../../src/compare/comparisonFile.js";
import {isComparisonDir, readComparison} from "../../src/compare/readComparison.js";
import {OutputStore} from "../../src/output/OutputStore.js";
import {tempDir} from "../support/fixtures.js";

const identity = {input: "i", template: "t", schema: "s", model: "m", sampling: "{}"};

async function writeModel(dir: string, id: string, answered: number[], failed: number[], order: "asc" | "desc"): Promise<void> {
    const store = await OutputStore.open({dir: path.join(dir, "models", id), identity, shardSize: 2, meta: {totalRows: answered.length + failed.length}});
    const all = [...answered.map((idx) => ({idx, ok: true})), ...failed.map((idx) => ({idx, ok: false}))].sort((a, b) =>
        order === "asc" ? a.idx - b.idx : b.idx - a.idx
    );
    for (const {idx, ok} of all) {
        if (ok)
            await store.add({
                idx,
                columns: {text: `row ${idx}`},
                annotation: {label: `${id}-${idx}`},
                finishReason: "stop",
                promptTokens: 3,
                completionTokens: 2,
                attempts: 1,
                model: `${id}.gguf`
            });
        else
            await store.fail({
                idx,
                stage: "validate",
                reason: `bad answer from ${id}`,
                response: "{",
                finishReason: "length",
                attempts: 3,
                model: `${id}.gguf`
            });
    }
    await store.markComplete({});
    await store.close();
}

describe("readComparison", () => {
    it("joins every model's committed answers on idx, whatever order their shards were written in", async () => {
        const dir = tempDir();
        expect(isComparisonDir(dir)).toBe(false);
        await writeModel(dir, "a", [0, 1, 2, 3], [4], "desc");
        await writeModel(dir, "b", [0, 2, 4], [1, 3], "asc");
        const now = new Date().toISOString();
        await writeComparisonFile(dir, {
            format: "airlabel-comparison",
            version: 1,
            outputFormat: "jsonl",
            merged: null,
            createdAt: now,
            updatedAt: now,
            models: [
                {id: "a", model: "/m/a.gguf", backend: "local", dir: "models/a"},
                {id: "b", model: "/m/b.gguf", backend: "local", dir: "models/b"}
            ]
        });
        expect(isComparisonDir(dir)).toBe(true);
        const {models, rows} = await readComparison(dir);
        expect(models.map((m) => [m.id, m.complete])).toEqual([
            ["a", true],
            ["b", true]
        ]);
        expect(rows.map((row) => row.idx)).toEqual([0, 1, 2, 3, 4]);
        for (const row of rows) {
            // the failed-by-a row 4 still has its input columns, from b's answer
            expect(row.columns).toEqual({text: `row ${row.idx}`});
            const a = row.responses.a!;
            const b = row.responses.b!;
            if (row.idx === 4) expect(a).toEqual({annotation: null, ok: false, reason: "bad answer from a"});
            else expect(a).toEqual({annotation: {label: `a-${row.idx}`}, ok: true, reason: null});
            if (row.idx % 2 === 1) expect(b).toEqual({annotation: null, ok: false, reason: "bad answer from b"});
            else expect(b).toEqual({annotation: {label: `b-${row.idx}`}, ok: true, reason: null});
        }
    });

    it("marks a model that has not run yet as not answered, and refuses a dir that is no comparison", async () => {
        const dir = tempDir();
        await writeModel(dir, "a", [0, 1], [], "asc");
        const now = new Date().toISOString();
        await writeComparisonFile(dir, {
            format: "airlabel-comparison",
            version: 1,
            outputFormat: "jsonl",
            merged: null,
            createdAt: now,
            updatedAt: now,
            models: [
                {id: "a", model: "a.gguf", backend: "local", dir: "models/a"},
                {id: "b", model: "b.gguf", backend: "local", dir: "models/b"}
            ]
        });
        const {models, rows} = await readComparison(dir);
        expect(models.map((m) => m.complete)).toEqual([true, false]);
        expect(rows[1]!.responses.b).toMatchObject({annotation: null, ok: false});
        expect(rows[1]!.responses.b!.reason).toMatch(/not answered yet: model b/u);

        const plain = tempDir();
        await expect(readComparison(plain)).rejects.toThrow(/holds no model comparison \(no compare\.json\)/u);
        fs.writeFileSync(path.join(plain, "compare.json"), '{"format": "other"}');
        await expect(readComparison(plain)).rejects.toThrow(/is not an airlabel comparison \(format is not "airlabel-comparison"\)/u);
    });
});
