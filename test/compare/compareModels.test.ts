import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {compareModels, compareModelsWithRows} from "../../src/compare/compareModels.js";
import {readComparison} from "../../src/compare/readComparison.js";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";
import {readOutput} from "../../src/output/readOutput.js";
import {readJsonlDir, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// rows whose lengths do not follow their order, so generation order (longest first) is not idx order
const texts = [
    "ok",
    "a rather long review that goes on and on about the product and its many small flaws",
    "fine",
    "medium length review of a kettle",
    "bad",
    "the longest review of them all, written by someone with a great deal of time on their hands and many opinions",
    "meh",
    "short and sweet but not the shortest",
    "great",
    "an average review"
];
const rows = texts.map((text, i) => ({id: `r${i}`, text}));

let dir: string;
let modelA: string;
let modelB: string;

beforeAll(async () => {
    dir = tempDir();
    modelA = path.join(dir, "a.gguf");
    modelB = path.join(dir, "b.gguf");
    await writeLlamaGguf({path: modelA, parameters: 1_000_000, type: "q8_0", seed: 1});
    await writeLlamaGguf({path: modelB, parameters: 1_000_000, type: "q8_0", seed: 2});
});

const schema = {
    type: "object",
    additionalProperties: false,
    required: ["label", "stars", "note"],
    // a free string: the generated models agree on label and stars, their notes tell them apart
    properties: {label: {enum: ["positive", "negative", "neutral"]}, stars: {type: "integer", minimum: 1, maximum: 5}, note: {type: "string", maxLength: 6}}
};
const job = (output: string, input: string) => ({
    input,
    output,
    template: "Sentiment of: {text}",
    schema,
    maxTokens: 48,
    parallel: 4,
    shardSize: 3
});

describe("compareModels (real engine)", () => {
    it("runs two models on the same rows and joins their answers on idx, not on position", async () => {
        const input = writeJsonl(path.join(tempDir(), "in.jsonl"), rows);
        const output = path.join(tempDir(), "cmp");
        // shuffled and cut: the run's idx are a scattered subset of the input positions
        const result = await compareModels({...job(output, input), models: [modelA, modelB], shuffleSeed: 3, maxRows: 7});
        expect(result.complete).toBe(true);
        expect(result.models.map((m) => m.id)).toEqual(["a", "b"]);
        expect(result.merged).toBe(path.join(output, "compare.jsonl"));

        const a = await readOutput(path.join(output, "models", "a"));
        const b = await readOutput(path.join(output, "models", "b"));
        const shardOrder = readJsonlDir(path.join(output, "models", "a", "data")).map((r) => r.idx as number);
        expect(shardOrder).not.toEqual([...shardOrder].sort((x, y) => x - y)); // written longest first
        const merged = fs
            .readFileSync(result.merged!, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        const idxs = merged.map((r) => r.idx as number);
        expect(idxs).toHaveLength(7);
        expect(idxs).toEqual([...idxs].sort((x, y) => x - y));
        expect(idxs).not.toEqual([0, 1, 2, 3, 4, 5, 6]);
        for (const row of merged) {
            const idx = row.idx as number;
            expect(row.text).toBe(texts[idx]);
            expect(row.id).toBe(`r${idx}`);
            for (const [id, contents] of [
                ["a", a],
                ["b", b]
            ] as const) {
                const answered = contents.rows.find((r) => r.idx === idx);
                const failed = contents.errors.find((r) => r.idx === idx);
                expect(answered === undefined).not.toBe(failed === undefined); // exactly once per model
                expect(row[`response_${id}`]).toEqual(answered?.annotation ?? null);
                expect(row[`error_${id}`]).toEqual(failed?.reason ?? null);
            }
        }
        // the library reader sees the same join
        const comparison = await readComparison(output);
        expect(comparison.rows.map((r) => r.idx)).toEqual(idxs);
        expect(comparison.models.map((m) => [m.id, m.backend, m.complete])).toEqual([
            ["a", "local", true],
            ["b", "local", true]
        ]);
        // the seeds differ, so the models answer differently somewhere (else the join could not be told from a copy)
        expect(merged.some((r) => JSON.stringify([r.response_a, r.error_a]) !== JSON.stringify([r.response_b, r.error_b]))).toBe(true);
    });

    it("a model that fails does not cost the finished one: after the fix, the resume leaves model a's files untouched", async () => {
        const work = tempDir();
        const input = writeJsonl(path.join(work, "in.jsonl"), rows.slice(0, 6));
        const broken = path.join(work, "b.gguf");
        fs.writeFileSync(broken, "this is not a model");
        const output = path.join(work, "out");
        const schemaFile = path.join(work, "schema.json");
        fs.writeFileSync(schemaFile, JSON.stringify(schema));
        const args = [
            "run",
            "-i",
            input,
            "--model",
            modelA,
            "--model",
            broken,
            "-o",
            output,
            "-p",
            "Sentiment of: {text}",
            "-s",
            schemaFile,
            "--max-tokens",
            "32",
            "--parallel",
            "4",
            "--shard-size",
            "2"
        ];
        const first = await runCli(args);
        expect(first.code).toBe(1);
        expect(first.stderr).toMatch(/airlabel: model b: model file .*b\.gguf is not a GGUF file/u);
        const aDir = path.join(output, "models", "a");
        const filesIn = (sub: string) => (fs.existsSync(path.join(aDir, sub)) ? fs.readdirSync(path.join(aDir, sub)).map((f) => `${sub}/${f}`) : []);
        const snapshot = () =>
            Object.fromEntries(
                ["manifest.json", ...filesIn("data"), ...filesIn("errors")].map((f) => [f, fs.readFileSync(path.join(aDir, f)).toString("base64")])
            );
        const before = snapshot();
        expect(JSON.parse(fs.readFileSync(path.join(aDir, "manifest.json"), "utf8")).complete).toBe(true);
        expect(fs.existsSync(path.join(output, "compare.jsonl"))).toBe(false);

        fs.copyFileSync(modelB, broken);
        const second = await runCli(args);
        expect(second.code, second.stderr).toBe(0);
        expect(second.stderr).toMatch(/model a \(1\/2\): .*a\.gguf already complete in .*; skipped/u);
        expect(second.stderr).toMatch(/comparison done: 6 rows x 2 models/u);
        expect(snapshot()).toEqual(before);
        const {rows: merged} = await readComparison(output);
        expect(merged.map((r) => r.idx)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(merged.every((r) => r.responses.b !== undefined && !/not answered yet/u.test(r.responses.b.reason ?? ""))).toBe(true);

        // a different model list is refused, naming both lists
        const other = path.join(work, "c.gguf");
        fs.copyFileSync(modelB, other);
        const third = await runCli(args.map((arg) => (arg === broken ? other : arg)));
        expect(third.code).toBe(1);
        expect(third.stderr).toMatch(
            /the models differ from the comparison in this dir \(was a=.*a\.gguf, b=.*b\.gguf; now a=.*a\.gguf, c=.*c\.gguf\); pass the same models to resume, or --overwrite to start over/u
        );
        // one --model into a comparison dir is refused too (it would mix a single run into it)
        const single = await runCli(args.filter((arg, i) => arg !== broken && !(arg === "--model" && args[i + 1] === broken)));
        expect(single.code).toBe(2);
        expect(single.stderr).toMatch(/holds a model comparison \(compare\.json\); give a single-model run its own --output/u);
    });

    it("writes the merged view in the run's format (parquet)", async () => {
        const input = writeJsonl(path.join(tempDir(), "in.jsonl"), rows.slice(0, 4));
        const output = path.join(tempDir(), "cmp");
        const result = await compareModels({
            ...job(output, input),
            models: [
                {name: "first", model: modelA},
                {name: "second", model: modelB, temperature: 0.8, seed: 5}
            ],
            format: "parquet"
        });
        expect(result.merged).toBe(path.join(output, "compare.parquet"));
        const {parquetReadObjects} = await import("hyparquet");
        const bytes = fs.readFileSync(result.merged!);
        const read = await parquetReadObjects({file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)});
        expect(read.map((r) => Number(r.idx))).toEqual([0, 1, 2, 3]);
        expect(Object.keys(read[0]!)).toEqual(["idx", "id", "text", "response_first", "error_first", "response_second", "error_second"]);
        const comparison = await readComparison(output);
        expect(comparison.models.map((m) => m.id)).toEqual(["first", "second"]);
    });

    it("compareModelsWithRows gives the rows the merged view was written from, as readComparison reads them; none before every model is complete", async () => {
        const input = writeJsonl(path.join(tempDir(), "in.jsonl"), rows.slice(0, 4));
        const output = path.join(tempDir(), "cmp");
        const stopped = await compareModelsWithRows({...job(output, input), models: [modelA, modelB], signal: AbortSignal.abort()});
        expect([stopped.result.complete, stopped.result.merged, stopped.comparison]).toEqual([false, null, null]);

        const {result, comparison} = await compareModelsWithRows({...job(output, input), models: [modelA, modelB]});
        expect(result.complete).toBe(true);
        expect(comparison).toEqual(await readComparison(output));
        const merged = fs
            .readFileSync(result.merged!, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(merged.map((row) => [row.idx, row.response_a, row.response_b])).toEqual(
            comparison!.rows.map((row) => [
                row.idx,
                row.responses.a!.ok ? row.responses.a!.annotation : null,
                row.responses.b!.ok ? row.responses.b!.annotation : null
            ])
        );
    });

    it("rows every model failed still carry their input columns (from the prepared rows)", async () => {
        const input = writeJsonl(path.join(tempDir(), "in.jsonl"), rows.slice(0, 3));
        const output = path.join(tempDir(), "cmp");
        // two tokens cannot hold the answer: every row fails in both models
        const result = await compareModels({...job(output, input), maxTokens: 2, retriesInvalid: 0, models: [modelA, modelB]});
        expect(result.complete).toBe(true);
        const {rows: merged} = await readComparison(output);
        expect(merged.map((r) => [r.idx, r.columns, r.responses.a!.ok, r.responses.b!.ok])).toEqual(
            rows.slice(0, 3).map((row, idx) => [idx, row, false, false])
        );
        expect(merged[0]!.responses.a!.reason).toMatch(/truncated/u);
    });
});
