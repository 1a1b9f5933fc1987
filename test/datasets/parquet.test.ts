import fs from "node:fs";
import path from "node:path";
import {asyncBufferFromFile, parquetMetadataAsync} from "hyparquet";
import {parquetWriteFile} from "hyparquet-writer";
import {describe, expect, test} from "vitest";
import {DatasetError} from "../../src/datasets/DatasetError.js";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collect, collectValues, tempDir} from "./collect.js";
import {sharedDir} from "../support/fixtures.js";
import {parseJsonText} from "../../src/json/parseJsonText.js";
import {stringifyJson} from "../../src/json/stringifyJson.js";

const fixtures = path.join(sharedDir, "fixtures", "parquet");
const hasFixtures = fs.existsSync(fixtures);

function fixtureFiles(): string[] {
    return hasFixtures
        ? fs
              .readdirSync(fixtures)
              .filter((name) => name.endsWith(".parquet"))
              .sort()
        : [];
}

describe.runIf(hasFixtures)("Parquet fixtures (apache/parquet-testing)", () => {
    test("the 13 fixture files are present", () => {
        expect(fixtureFiles()).toHaveLength(13);
    });

    for (const name of fixtureFiles()) {
        test(`${name} loads fully with the footer's row count, JSON-serializable values`, async () => {
            const file = path.join(fixtures, name);
            const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
            const expected = Number(metadata.num_rows);

            const dataset = await openDataset(file);
            expect(dataset.format).toBe("parquet");
            const records = await collect(dataset);
            expect(records).toHaveLength(expected);
            expect(records.map((record) => record.ordinal)).toEqual([...Array(expected).keys()]);
            const columns = await dataset.columns();
            for (const record of records) {
                expect("values" in record).toBe(true);
                const text = stringifyJson(record);
                expect(parseJsonText(text)).toEqual(record); // nothing lost or changed: plain JSON values only
                if ("values" in record) expect(Object.keys(record.values)).toEqual(columns.map((column) => column.name));
            }

            const inspection = await inspectDataset(file);
            expect(inspection.rows).toBe(expected);
        });
    }

    test("alltypes_plain.parquet: 8 rows, types and values as written by Impala", async () => {
        const dataset = await openDataset(path.join(fixtures, "alltypes_plain.parquet"));
        const values = await collectValues(dataset);
        expect(values).toHaveLength(8);
        expect(values.map((row) => row.id)).toEqual([4, 5, 6, 7, 2, 3, 0, 1]);
        expect(values[0]).toEqual({
            id: 4,
            bool_col: true,
            tinyint_col: 0,
            smallint_col: 0,
            int_col: 0,
            bigint_col: 0,
            float_col: 0,
            double_col: 0,
            date_string_col: "03/01/09",
            string_col: "0",
            timestamp_col: "2009-03-01T00:00:00.000Z"
        });
        expect(values[1]?.bigint_col).toBe(10);
        expect(await dataset.columns()).toEqual([
            {name: "id", type: "int32"},
            {name: "bool_col", type: "bool"},
            {name: "tinyint_col", type: "int32"},
            {name: "smallint_col", type: "int32"},
            {name: "int_col", type: "int32"},
            {name: "bigint_col", type: "int64"},
            {name: "float_col", type: "float32"},
            {name: "double_col", type: "float64"},
            {name: "date_string_col", type: "string"},
            {name: "string_col", type: "string"},
            {name: "timestamp_col", type: "timestamp"}
        ]);
    });

    test("nested lists, maps and structs come out as plain arrays and objects, missing values as null", async () => {
        const lists = await collectValues(await openDataset(path.join(fixtures, "list_columns.parquet")));
        expect(lists[0]).toEqual({int64_list: [1, 2, 3], utf8_list: ["abc", "efg", "hij"]});
        expect(lists[1]).toEqual({int64_list: [null, 1], utf8_list: null});

        const dataset = await openDataset(path.join(fixtures, "nullable.impala.parquet"));
        const rows = await collectValues(dataset);
        expect(rows[0]?.id).toBe(1);
        expect(rows[0]?.int_array).toEqual([1, 2, 3]);
        expect(rows[0]?.int_map).toEqual({k1: 1, k2: 100});
        const columns = await dataset.columns();
        expect(columns.find((column) => column.name === "int_map")?.type).toBe("map<string, int32>");
        expect(columns.find((column) => column.name === "int_array_Array")?.type).toBe("list<list<int32>>");

        const nested = await collectValues(await openDataset(path.join(fixtures, "nested_lists.snappy.parquet")));
        expect(nested[0]?.a).toEqual([
            [["a", "b"], ["c"]],
            [null, ["d"]]
        ]);
    });

    test("single_nan.parquet: NaN comes out as null", async () => {
        expect(await collectValues(await openDataset(path.join(fixtures, "single_nan.parquet")))).toEqual([{mycol: null}]);
    });
});

describe("Parquet written by hyparquet-writer", () => {
    test("round-trips over several row groups with stable ordinals and row locations", async () => {
        const dir = tempDir();
        const file = path.join(dir, "train-00000.parquet");
        const count = 25;
        const texts = Array.from({length: count}, (_, i) => (i === 3 ? null : `text ${i} — ünïcödé`));
        await parquetWriteFile({
            filename: file,
            columnData: [
                {name: "text", data: texts, type: "STRING"},
                {name: "n", data: Int32Array.from({length: count}, (_, i) => i * 2), type: "INT32"},
                {name: "big", data: Array.from({length: count}, (_, i) => (i === 0 ? 2n ** 60n : BigInt(i))), type: "INT64"},
                {name: "score", data: Array.from({length: count}, (_, i) => i / 4), type: "DOUBLE"},
                {name: "ok", data: Array.from({length: count}, (_, i) => i % 2 === 0), type: "BOOLEAN"},
                {name: "at", data: Array.from({length: count}, (_, i) => new Date(Date.UTC(2024, 0, 1 + i))), type: "TIMESTAMP"}
            ],
            rowGroupSize: 10
        });

        const dataset = await openDataset(file);
        const records = await collect(dataset);
        expect(records).toHaveLength(count);
        expect(records[12]).toEqual({
            ordinal: 12,
            location: "train-00000.parquet row 12",
            values: {text: "text 12 — ünïcödé", n: 24, big: 12, score: 3, ok: true, at: "2024-01-13T00:00:00.000Z"}
        });
        const first = records[0];
        expect(first != null && "values" in first ? first.values.big : undefined).toBe(1152921504606846976n); // exact: an int64 past 2^53 stays a bigint
        const fourth = records[3];
        expect(fourth != null && "values" in fourth ? fourth.values.text : undefined).toBeNull();
        expect(await dataset.columns()).toEqual([
            {name: "text", type: "string"},
            {name: "n", type: "int32"},
            {name: "big", type: "int64"},
            {name: "score", type: "float64"},
            {name: "ok", type: "bool"},
            {name: "at", type: "timestamp"}
        ]);
        expect((await inspectDataset(file)).rows).toBe(count);
    });

    test("a file that is not Parquet gives a one-line error naming it", async () => {
        const dir = tempDir();
        const file = path.join(dir, "broken.parquet");
        fs.writeFileSync(file, "this is not parquet at all");
        const dataset = await openDataset(file);
        await expect(collect(dataset)).rejects.toThrow(DatasetError);
        await expect(collect(dataset)).rejects.toThrow(/^broken\.parquet: cannot read Parquet \(.+\); check that it is a valid Parquet file$/);
    });
});
