import {spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {Readable} from "node:stream";
import {tableFromArrays, tableToIPC} from "apache-arrow";
import {parquetWriteBuffer} from "hyparquet-writer";
import {describe, expect, test} from "vitest";
import {InvalidOptionError} from "../../src/AirlabelError.js";
import {DatasetError} from "../../src/datasets/DatasetError.js";
import type {DatasetFormat} from "../../src/datasets/Dataset.js";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collect, collectValues, errorMessage, tempDir} from "./collect.js";

function shardFolder(): string {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "part-00002.jsonl"), '{"n": 4}\n{"n": 5}\n');
    fs.writeFileSync(path.join(dir, "part-00000.jsonl"), '{"n": 0}\n\n{"n": 1}\n');
    fs.writeFileSync(path.join(dir, "part-00001.jsonl"), '{"n": 2}\n{"n": 3}\n');
    fs.writeFileSync(path.join(dir, "README.md"), "# not data\n");
    fs.writeFileSync(path.join(dir, ".hidden.jsonl"), '{"n": -1}\n');
    return dir;
}

describe("folders and globs", () => {
    test("a folder of shards is read in name order with continuous ordinals, other files ignored", async () => {
        const dir = shardFolder();
        const dataset = await openDataset(dir);
        expect(dataset.format).toBe("jsonl");
        expect(dataset.files.map((file) => path.basename(file))).toEqual(["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]);
        const records = await collect(dataset);
        expect(records.map((record) => record.ordinal)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(records.map((record) => ("values" in record ? record.values.n : null))).toEqual([0, 1, 2, 3, 4, 5]);
        expect(records[1]?.location).toBe("part-00000.jsonl line 3");
        expect(records[4]?.location).toBe("part-00002.jsonl line 1");
        // a second pass gives the same ordinals
        expect(await collect(dataset)).toEqual(records);
    });

    test("a glob on the last segments", async () => {
        const dir = shardFolder();
        const dataset = await openDataset(path.join(dir, "part-0000[?].jsonl".replace("[?]", "?")));
        expect((await collectValues(dataset)).map((row) => row.n)).toEqual([0, 1, 2, 3, 4, 5]);

        const some = await openDataset(path.join(dir, "*-0000[12].jsonl".replace("[12]", "1*")));
        expect((await collectValues(some)).map((row) => row.n)).toEqual([2, 3]);

        fs.mkdirSync(path.join(dir, "sub-a"));
        fs.mkdirSync(path.join(dir, "sub-b"));
        fs.writeFileSync(path.join(dir, "sub-a", "train.parquet"), Buffer.from(parquetWriteBuffer({columnData: [{name: "n", data: [10, 11], type: "INT32"}]})));
        fs.writeFileSync(path.join(dir, "sub-b", "train.parquet"), Buffer.from(parquetWriteBuffer({columnData: [{name: "n", data: [12], type: "INT32"}]})));
        const nested = await openDataset(path.join(dir, "sub-*", "train.parquet"));
        const records = await collect(nested);
        expect(records.map((record) => [record.ordinal, record.location])).toEqual([
            [0, path.join("sub-a", "train.parquet") + " row 0"],
            [1, path.join("sub-a", "train.parquet") + " row 1"],
            [2, path.join("sub-b", "train.parquet") + " row 0"]
        ]);
        expect((await inspectDataset(path.join(dir, "sub-*", "train.parquet"))).rows).toBe(3);
    });

    test("an empty glob, a folder without data and a folder mixing formats are errors", async () => {
        const dir = shardFolder();
        const pattern = path.join(dir, "*.csv");
        expect(await errorMessage(openDataset(pattern))).toBe(`no files match ${pattern}; check the pattern`);

        const empty = tempDir();
        fs.writeFileSync(path.join(empty, "notes.txt"), "x");
        expect(await errorMessage(openDataset(empty))).toBe(
            `folder ${empty} has no data files; supported: .jsonl, .ndjson, .json, .csv, .tsv, .parquet, .arrow, .feather, .ipc, .arrows`
        );

        fs.writeFileSync(path.join(dir, "extra.csv"), "n\n9\n");
        expect(await errorMessage(openDataset(dir))).toBe(
            `folder ${dir} mixes formats (csv: extra.csv; jsonl: part-00000.jsonl, ...); a dataset has one format: use a glob like ${path.join(dir, "*.csv")}`
        );
    });
});

describe("errors", () => {
    test("missing file", async () => {
        const error = await openDataset("no/such/data.jsonl").catch((err: unknown) => err);
        expect(error).toBeInstanceOf(DatasetError);
        expect((error as Error).message).toBe("input file no/such/data.jsonl not found; check the path");
    });

    test("unknown extension names the supported ones; --format overrides the extension", async () => {
        const file = path.join(tempDir(), "data.xlsx");
        fs.writeFileSync(file, '{"a": 1}\n');
        expect(await errorMessage(openDataset(file))).toBe(
            `${file} has an unsupported extension ".xlsx"; supported: .jsonl, .ndjson, .json, .csv, .tsv, .parquet, .arrow, .feather, .ipc, .arrows (or pass --format)`
        );
        expect(await collectValues(await openDataset(file, {format: "jsonl"}))).toEqual([{a: 1}]);
        await expect(openDataset(file, {format: "xlsx" as DatasetFormat})).rejects.toBeInstanceOf(InvalidOptionError);
    });

    test("malformed line", async () => {
        const file = path.join(tempDir(), "data.jsonl");
        fs.writeFileSync(file, '{"a": 1}\n{"a": 1,}\n');
        expect(await errorMessage(collect(await openDataset(file)))).toMatch(
            /^data\.jsonl line 2: invalid JSON \([^\n]+\); fix the line or pass --skip-invalid-rows$/
        );
    });
});

describe("stdin", () => {
    test("JSONL piped from a real child process, columns read before rows", async () => {
        const child = spawn(
            process.execPath,
            [
                "-e",
                `
            for (let i = 0; i < 500; i++) process.stdout.write(JSON.stringify({i, text: "row " + i}) + "\\n" + (i % 7 === 0 ? "\\n" : ""));
        `
            ],
            {stdio: ["ignore", "pipe", "inherit"]}
        );
        const dataset = await openDataset("-", {stdin: child.stdout});
        expect(dataset.files).toEqual([]);
        expect(await dataset.columns()).toEqual([
            {name: "i", type: "int64"},
            {name: "text", type: "string"}
        ]);
        const records = await collect(dataset);
        expect(records).toHaveLength(500);
        expect(records.every((record, index) => record.ordinal === index && "values" in record && record.values.i === index)).toBe(true);
        expect(records[1]?.location).toBe("stdin line 3");
        await expect(collect(dataset)).rejects.toThrow("stdin can be read only once; save it to a file to read it again");
    });

    test("--format csv, parquet and arrow from stdin", async () => {
        const csv = await openDataset("-", {format: "csv", stdin: Readable.from([Buffer.from('a,b\n1,"x\ny"\n2,z\n')])});
        expect(await csv.columns()).toEqual([
            {name: "a", type: "string"},
            {name: "b", type: "string"}
        ]);
        expect(await collectValues(csv)).toEqual([
            {a: "1", b: "x\ny"},
            {a: "2", b: "z"}
        ]);

        const parquetBytes = Buffer.from(parquetWriteBuffer({columnData: [{name: "s", data: ["p", "q", "r"], type: "STRING"}]}));
        const parquet = await openDataset("-", {format: "parquet", stdin: Readable.from([parquetBytes.subarray(0, 10), parquetBytes.subarray(10)])});
        expect(await parquet.columns()).toEqual([{name: "s", type: "string"}]);
        expect(await collectValues(parquet)).toEqual([{s: "p"}, {s: "q"}, {s: "r"}]);

        const table = tableFromArrays({n: Float64Array.from([1.5, 2.5])});
        for (const kind of ["stream", "file"] as const) {
            const arrow = await openDataset("-", {format: "arrow", stdin: Readable.from([Buffer.from(tableToIPC(table, kind))])});
            expect(await arrow.columns()).toEqual([{name: "n", type: "float64"}]);
            expect(await collectValues(arrow)).toEqual([{n: 1.5}, {n: 2.5}]);
        }

        const inspection = await inspectDataset("-", {format: "json", stdin: Readable.from(['[{"a": 1}, {"a": 2}]'])});
        expect(inspection).toEqual({source: "-", format: "json", files: [], rows: 2, invalidRows: 0, columns: [{name: "a", type: "int64"}]});
    });
});
