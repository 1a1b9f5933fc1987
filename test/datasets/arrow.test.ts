import fs from "node:fs";
import path from "node:path";
import {
    Binary,
    DateDay,
    Decimal,
    Dictionary,
    Field,
    Float64,
    Int32,
    Int64,
    List,
    Map_,
    Struct,
    Table,
    TimestampMicrosecond,
    Utf8,
    makeBuilder,
    tableFromArrays,
    tableToIPC
} from "apache-arrow";
import type {DataType, Vector} from "apache-arrow";
import {describe, expect, test} from "vitest";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collect, collectValues, errorMessage, tempDir} from "./collect.js";
import {parseJsonText} from "../../src/json/parseJsonText.js";
import {stringifyJson} from "../../src/json/stringifyJson.js";

function vector<T extends DataType>(type: T, values: unknown[]): Vector<T> {
    const builder = makeBuilder({type, nullValues: [null]});
    for (const value of values) builder.append(value as never);
    return builder.finish().toVector();
}

function richTable(): Table {
    return new Table({
        id: vector(new Int64(), [1n, 2n ** 60n, null]),
        text: vector(new Utf8(), ["héllo", "", null]),
        score: vector(new Float64(), [0.5, Number.NaN, null]),
        at: vector(new TimestampMicrosecond(), [Date.UTC(2024, 1, 29, 12, 30), null, null]),
        day: vector(new DateDay(), [new Date(Date.UTC(2020, 0, 2)), null, null]),
        bytes: vector(new Binary(), [new Uint8Array([0, 1, 255]), null, null]),
        tags: vector(new List(new Field("item", new Utf8(), true)), [["a", "b"], [], null]),
        meta: vector(new Struct([new Field("x", new Int32(), true), new Field("y", new Utf8(), true)]), [{x: 1, y: "q"}, null, {x: null, y: "z"}]),
        counts: vector(
            new Map_(new Field("entries", new Struct<{key: Utf8; value: Int32}>([new Field("key", new Utf8(), false), new Field("value", new Int32(), true)]))),
            [new Map([["k", 1]]), null, new Map()]
        ),
        label: vector(new Dictionary(new Utf8(), new Int32()), ["pos", "neg", "pos"]),
        price: vector(new Decimal(2, 10, 128), [new Uint32Array([12345, 0, 0, 0]), null, null])
    });
}

const richValues = [
    {
        id: 1,
        text: "héllo",
        score: 0.5,
        at: "2024-02-29T12:30:00.000Z",
        day: "2020-01-02T00:00:00.000Z",
        bytes: "AAH/",
        tags: ["a", "b"],
        meta: {x: 1, y: "q"},
        counts: {k: 1},
        label: "pos",
        price: "123.45"
    },
    {
        id: 1152921504606846976n,
        text: "",
        score: null,
        at: null,
        day: null,
        bytes: null,
        tags: [],
        meta: null,
        counts: null,
        label: "neg",
        price: null
    },
    {
        id: null,
        text: null,
        score: null,
        at: null,
        day: null,
        bytes: null,
        tags: null,
        meta: {x: null, y: "z"},
        counts: {},
        label: "pos",
        price: null
    }
];

const richColumns = [
    {name: "id", type: "int64"},
    {name: "text", type: "string"},
    {name: "score", type: "float64"},
    {name: "at", type: "timestamp"},
    {name: "day", type: "date"},
    {name: "bytes", type: "binary"},
    {name: "tags", type: "list<string>"},
    {name: "meta", type: "struct<x: int32, y: string>"},
    {name: "counts", type: "map<string, int32>"},
    {name: "label", type: "string"},
    {name: "price", type: "decimal(10,2)"}
];

describe("Arrow IPC", () => {
    for (const [format, name] of [
        ["file", "data.arrow"],
        ["stream", "data.arrow"],
        ["stream", "data.arrows"],
        ["file", "data.feather"]
    ] as const) {
        test(`IPC ${format} format as ${name}: every type comes out as plain JSON`, async () => {
            const file = path.join(tempDir(), name);
            fs.writeFileSync(file, tableToIPC(richTable(), format));
            const dataset = await openDataset(file);
            expect(dataset.format).toBe("arrow");
            const records = await collect(dataset);
            expect(records.map((record) => ("values" in record ? record.values : record))).toEqual(richValues);
            expect(records[2]).toMatchObject({ordinal: 2, location: `${name} row 2`});
            expect(parseJsonText(stringifyJson(records))).toEqual(records); // exact: bigints stay bigints
            expect(await dataset.columns()).toEqual(richColumns);
            expect((await inspectDataset(file)).rows).toBe(3);
        });
    }

    test("a file that is not Arrow gives a one-line error", async () => {
        const file = path.join(tempDir(), "junk.arrow");
        fs.writeFileSync(file, "definitely not arrow");
        expect(await errorMessage(collect(await openDataset(file)))).toMatch(
            /^junk\.arrow: cannot read Arrow IPC \(.*\); check that it is a whole Arrow IPC file or stream \(Feather v2\), and write it again if it is damaged$/
        );
    });
});

describe("Hugging Face save_to_disk folder", () => {
    function writeSaveToDisk(dir: string, order: string[]): void {
        const shards = [
            tableFromArrays({text: ["a0", "a1", "a2"], label: Int32Array.from([0, 1, 0])}),
            tableFromArrays({text: ["b0", "b1"], label: Int32Array.from([1, 1])})
        ];
        for (const [index, table] of shards.entries()) fs.writeFileSync(path.join(dir, `data-0000${index}-of-00002.arrow`), tableToIPC(table, "stream"));
        fs.writeFileSync(
            path.join(dir, "dataset_info.json"),
            JSON.stringify({
                citation: "",
                description: "",
                features: {text: {dtype: "string", _type: "Value"}, label: {dtype: "int32", _type: "Value"}},
                homepage: "",
                license: ""
            })
        );
        fs.writeFileSync(
            path.join(dir, "state.json"),
            JSON.stringify({
                _data_files: order.map((filename) => ({filename})),
                _fingerprint: "0123456789abcdef",
                _format_columns: null,
                _format_kwargs: {},
                _format_type: null,
                _output_all_columns: false,
                _split: "train"
            })
        );
    }

    test("reads the data files in state.json order with continuous ordinals", async () => {
        const dir = tempDir();
        writeSaveToDisk(dir, ["data-00000-of-00002.arrow", "data-00001-of-00002.arrow"]);
        const dataset = await openDataset(dir);
        expect(dataset.format).toBe("arrow");
        expect(dataset.files.map((file) => path.basename(file))).toEqual(["data-00000-of-00002.arrow", "data-00001-of-00002.arrow"]);
        const records = await collect(dataset);
        expect(records.map((record) => record.ordinal)).toEqual([0, 1, 2, 3, 4]);
        expect(records.map((record) => ("values" in record ? record.values.text : null))).toEqual(["a0", "a1", "a2", "b0", "b1"]);
        expect(records[3]?.location).toBe("data-00001-of-00002.arrow row 0");
        expect(await dataset.columns()).toEqual([
            {name: "text", type: "string"},
            {name: "label", type: "int32"}
        ]);
        expect(await inspectDataset(dir)).toMatchObject({rows: 5, format: "arrow"});
    });

    test("state.json's order wins over name order", async () => {
        const dir = tempDir();
        writeSaveToDisk(dir, ["data-00001-of-00002.arrow", "data-00000-of-00002.arrow"]);
        const values = await collectValues(await openDataset(dir));
        expect(values.map((row) => row.text)).toEqual(["b0", "b1", "a0", "a1", "a2"]);
    });

    test("without state.json the .arrow files are read in name order", async () => {
        const dir = tempDir();
        writeSaveToDisk(dir, []);
        fs.rmSync(path.join(dir, "state.json"));
        const values = await collectValues(await openDataset(dir));
        expect(values.map((row) => row.text)).toEqual(["a0", "a1", "a2", "b0", "b1"]);
    });

    test("a DatasetDict folder asks for one split", async () => {
        const dir = tempDir();
        fs.writeFileSync(path.join(dir, "dataset_dict.json"), JSON.stringify({splits: ["train", "test"]}));
        fs.mkdirSync(path.join(dir, "train"));
        fs.mkdirSync(path.join(dir, "test"));
        expect(await errorMessage(openDataset(dir))).toBe(
            `${dir} is a Hugging Face DatasetDict with splits test, train; pass one split folder, e.g. ${path.join(dir, "test")}`
        );
    });
});
