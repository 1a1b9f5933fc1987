import fs from "node:fs";
import path from "node:path";
import type {SchemaElement} from "hyparquet";
import {parquetWriteBuffer} from "hyparquet-writer";
import {describe, expect, test} from "vitest";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collectValues, errorMessage, tempDir} from "./collect.js";
import {rewriteFooter, writeLegacyParquet} from "./legacyParquet.js";

const R = "REQUIRED",
    O = "OPTIONAL",
    P = "REPEATED";
const root = (children: number): SchemaElement => ({name: "root", num_children: children});
const id: SchemaElement = {name: "id", type: "INT32", repetition_type: R};
const ids = (count: number) => ({name: "id", data: Int32Array.from({length: count}, (_, i) => i + 1)});
const utf8 = (name: string, repetition: "REQUIRED" | "OPTIONAL" | "REPEATED"): SchemaElement => ({
    name,
    type: "BYTE_ARRAY",
    converted_type: "UTF8",
    repetition_type: repetition
});

async function read(file: string) {
    const dataset = await openDataset(file);
    return {values: await collectValues(dataset), columns: await dataset.columns(), inspected: await inspectDataset(file)};
}

describe("Parquet legacy nested layouts are read in full, empty lists apart from null ones", () => {
    const dir = tempDir();

    test("an optional group holding a repeated group of structs, without LIST (the issue's 6-row file)", async () => {
        const file = path.join(dir, "legacy-group.parquet");
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "items", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                {name: "element", repetition_type: R, num_children: 2},
                {name: "number", type: "INT64", repetition_type: R},
                utf8("kind", O)
            ],
            columnData: [
                ids(6),
                {
                    name: "items",
                    data: [
                        [{number: 1n, kind: "a"}],
                        null,
                        [],
                        [
                            {number: 2n, kind: "b"},
                            {number: 3n, kind: null}
                        ],
                        [{number: 4n, kind: "c"}],
                        null
                    ]
                }
            ],
            legacySchema: [
                root(2),
                id,
                {name: "items", repetition_type: O, num_children: 1},
                {name: "item", repetition_type: P, num_children: 2},
                {name: "number", type: "INT64", repetition_type: R},
                utf8("kind", O)
            ],
            path: (p) => (p[0] === "items" ? ["items", "item", p[3]!] : p)
        });
        const {values, columns, inspected} = await read(file);
        expect(inspected.rows).toBe(6);
        expect(values).toEqual([
            {id: 1, items: {item: [{number: 1, kind: "a"}]}},
            {id: 2, items: null},
            {id: 3, items: {item: []}},
            {
                id: 4,
                items: {
                    item: [
                        {number: 2, kind: "b"},
                        {number: 3, kind: null}
                    ]
                }
            },
            {id: 5, items: {item: [{number: 4, kind: "c"}]}},
            {id: 6, items: null}
        ]);
        expect(columns).toEqual([
            {name: "id", type: "int32"},
            {name: "items", type: "struct<item: list<struct<number: int64, kind: string>>>"}
        ]);
    });

    test("the same file with a footer that says 0 rows (hyparquet reads its 6) is refused, not read as 0 rows", async () => {
        const file = path.join(dir, "legacy-group-0.parquet");
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "items", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                {name: "element", repetition_type: R, num_children: 2},
                {name: "number", type: "INT64", repetition_type: R},
                utf8("kind", O)
            ],
            columnData: [ids(6), {name: "items", data: [[{number: 1n, kind: "a"}], null, [], [{number: 2n, kind: "b"}], [], null]}],
            legacySchema: [
                root(2),
                id,
                {name: "items", repetition_type: O, num_children: 1},
                {name: "item", repetition_type: P, num_children: 2},
                {name: "number", type: "INT64", repetition_type: R},
                utf8("kind", O)
            ],
            path: (p) => (p[0] === "items" ? ["items", "item", p[3]!] : p),
            numRows: 0n
        });
        const expected =
            "legacy-group-0.parquet: its row groups hold 6 rows, not the 0 its footer declares; the Parquet file is corrupt or was written incompletely, write it again";
        expect(await errorMessage(inspectDataset(file))).toBe(expected);
        expect(await errorMessage(openDataset(file).then(collectValues))).toBe(expected);
    });

    test("an unannotated repeated leaf is a list, never null", async () => {
        const file = path.join(dir, "repeated-leaf.parquet");
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "nums", repetition_type: R, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                {name: "element", type: "INT32", repetition_type: R}
            ],
            columnData: [ids(3), {name: "nums", data: [[1, 2], [], [3]]}],
            legacySchema: [root(2), id, {name: "nums", type: "INT32", repetition_type: P}],
            path: (p) => (p[0] === "nums" ? ["nums"] : p)
        });
        const {values, columns} = await read(file);
        expect(values).toEqual([
            {id: 1, nums: [1, 2]},
            {id: 2, nums: []},
            {id: 3, nums: [3]}
        ]);
        expect(columns[1]).toEqual({name: "nums", type: "list<int32>"});
    });

    test("an unannotated repeated group at the top level is a list of structs", async () => {
        const file = path.join(dir, "repeated-group.parquet");
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "pts", repetition_type: R, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                {name: "element", repetition_type: R, num_children: 2},
                {name: "x", type: "INT32", repetition_type: R},
                utf8("y", O)
            ],
            columnData: [
                ids(3),
                {
                    name: "pts",
                    data: [
                        [
                            {x: 1, y: "a"},
                            {x: 2, y: null}
                        ],
                        [],
                        [{x: 3, y: "c"}]
                    ]
                }
            ],
            legacySchema: [root(2), id, {name: "pts", repetition_type: P, num_children: 2}, {name: "x", type: "INT32", repetition_type: R}, utf8("y", O)],
            path: (p) => (p[0] === "pts" ? ["pts", p[3]!] : p)
        });
        const {values, columns} = await read(file);
        expect(values).toEqual([
            {
                id: 1,
                pts: [
                    {x: 1, y: "a"},
                    {x: 2, y: null}
                ]
            },
            {id: 2, pts: []},
            {id: 3, pts: [{x: 3, y: "c"}]}
        ]);
        expect(columns[1]).toEqual({name: "pts", type: "list<struct<x: int32, y: string>>"});
    });

    test("a 2-level list (LIST holding a repeated leaf): empty and null lists kept apart", async () => {
        const file = path.join(dir, "two-level.parquet");
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "tags", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                utf8("element", R)
            ],
            columnData: [ids(4), {name: "tags", data: [["a", "b"], [], null, ["c"]]}],
            legacySchema: [root(2), id, {name: "tags", repetition_type: O, num_children: 1, converted_type: "LIST"}, utf8("element", P)],
            path: (p) => (p[0] === "tags" ? ["tags", "element"] : p)
        });
        const {values, columns} = await read(file);
        expect(values).toEqual([
            {id: 1, tags: ["a", "b"]},
            {id: 2, tags: []},
            {id: 3, tags: null},
            {id: 4, tags: ["c"]}
        ]);
        expect(columns[1]).toEqual({name: "tags", type: "list<string>"});
    });

    test("a 2-level list of structs (LIST holding a repeated group of two fields)", async () => {
        const file = path.join(dir, "two-level-structs.parquet");
        const element: SchemaElement[] = [{name: "x", type: "INT32", repetition_type: R}, utf8("y", O)];
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "pts", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                {name: "element", repetition_type: R, num_children: 2},
                ...element
            ],
            columnData: [
                ids(4),
                {
                    name: "pts",
                    data: [
                        [
                            {x: 1, y: "a"},
                            {x: 2, y: null}
                        ],
                        [],
                        null,
                        [{x: 3, y: "c"}]
                    ]
                }
            ],
            legacySchema: [
                root(2),
                id,
                {name: "pts", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "element", repetition_type: P, num_children: 2},
                ...element
            ],
            path: (p) => (p[0] === "pts" ? ["pts", "element", p[3]!] : p)
        });
        const {values, columns} = await read(file);
        expect(values).toEqual([
            {
                id: 1,
                pts: [
                    {x: 1, y: "a"},
                    {x: 2, y: null}
                ]
            },
            {id: 2, pts: []},
            {id: 3, pts: null},
            {id: 4, pts: [{x: 3, y: "c"}]}
        ]);
        expect(columns[1]).toEqual({name: "pts", type: "list<struct<x: int32, y: string>>"});
    });

    test("a list whose repeated group of one field is named array is a list of one-field structs", async () => {
        const file = path.join(dir, "array-named.parquet");
        writeLegacyParquet(file, {
            schema: [
                root(2),
                id,
                {name: "words", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "list", repetition_type: P, num_children: 1},
                {name: "element", repetition_type: R, num_children: 1},
                utf8("w", O)
            ],
            columnData: [ids(3), {name: "words", data: [[{w: "a"}, {w: null}], [], null]}],
            legacySchema: [
                root(2),
                id,
                {name: "words", repetition_type: O, num_children: 1, converted_type: "LIST"},
                {name: "array", repetition_type: P, num_children: 1},
                utf8("w", O)
            ],
            path: (p) => (p[0] === "words" ? ["words", "array", "w"] : p)
        });
        const {values, columns} = await read(file);
        expect(values).toEqual([
            {id: 1, words: [{w: "a"}, {w: null}]},
            {id: 2, words: []},
            {id: 3, words: null}
        ]);
        expect(columns[1]).toEqual({name: "words", type: "list<struct<w: string>>"});
    });

    test("3-level lists, nullable elements, empty vs null lists, inside a struct too", async () => {
        const file = path.join(dir, "three-level.parquet");
        const schema: SchemaElement[] = [
            root(3),
            id,
            {name: "vals", repetition_type: O, num_children: 1, converted_type: "LIST"},
            {name: "list", repetition_type: P, num_children: 1},
            {name: "element", type: "INT64", repetition_type: O},
            {name: "s", repetition_type: O, num_children: 1},
            {name: "tags", repetition_type: O, num_children: 1, converted_type: "LIST"},
            {name: "list", repetition_type: P, num_children: 1},
            utf8("element", O)
        ];
        fs.writeFileSync(
            file,
            new Uint8Array(
                parquetWriteBuffer({
                    schema,
                    columnData: [
                        ids(5),
                        {name: "vals", data: [[1n, null], [], null, [null], [5n]]},
                        {name: "s", data: [{tags: ["a", null]}, {tags: []}, {tags: null}, null, {tags: ["e"]}]}
                    ]
                })
            )
        );
        const {values, columns} = await read(file);
        expect(values).toEqual([
            {id: 1, vals: [1, null], s: {tags: ["a", null]}},
            {id: 2, vals: [], s: {tags: []}},
            {id: 3, vals: null, s: {tags: null}},
            {id: 4, vals: [null], s: null},
            {id: 5, vals: [5], s: {tags: ["e"]}}
        ]);
        expect(columns.slice(1)).toEqual([
            {name: "vals", type: "list<int64>"},
            {name: "s", type: "struct<tags: list<string>>"}
        ]);
    });
});

describe("Parquet row counts are checked against the footer", () => {
    const dir = tempDir();
    const good = new Uint8Array(parquetWriteBuffer({columnData: [{name: "text", data: ["a", "b", "c", "d"], type: "STRING"}], rowGroupSize: 2}));

    test("a footer num_rows that differs from its row groups is refused, naming the file", async () => {
        for (const declared of [0n, 3n, 5n]) {
            const file = path.join(dir, `count-${declared}.parquet`);
            fs.writeFileSync(
                file,
                rewriteFooter(good, (metadata) => {
                    metadata.num_rows = declared;
                })
            );
            const expected = new RegExp(
                `^count-${declared}\\.parquet: its row groups hold 4 rows, not the ${declared} its footer declares; .*write it again$`,
                "u"
            );
            expect(await errorMessage(inspectDataset(file))).toMatch(expected);
            expect(await errorMessage(openDataset(file).then(collectValues))).toMatch(expected);
        }
    });

    test("a row group whose data holds more or fewer rows than it declares is refused, naming the file and the rows", async () => {
        for (const declared of [1n, 3n]) {
            const file = path.join(dir, `group-${declared}.parquet`);
            fs.writeFileSync(
                file,
                rewriteFooter(good, (metadata) => {
                    metadata.row_groups[1]!.num_rows = declared;
                    metadata.num_rows = 2n + declared;
                })
            );
            expect(await errorMessage(openDataset(file).then(collectValues))).toBe(
                `group-${declared}.parquet: column text of rows 2-${1n + declared} holds 2 values, not the ${declared} rows its footer declares; ` +
                    "the Parquet file is corrupt or was written incompletely, write it again"
            );
        }
    });
});
