import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {DatasetError} from "../../src/datasets/DatasetError.js";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collect, collectValues, errorMessage, tempDir} from "./collect.js";

function write(name: string, content: string): string {
    const file = path.join(tempDir(), name);
    fs.writeFileSync(file, content);
    return file;
}

describe("JSONL", () => {
    const content = [
        '{"text": "héllo 👋 世界", "label": 1}',
        "",
        '{"text": "second", "label": 2.5, "tags": ["a"]}\r',
        "   ",
        '{"text": "third", "label": null, "meta": {"k": true}}',
        ""
    ].join("\n");

    test("streams records, skipping blank lines, with line locations and unicode intact", async () => {
        const file = write("data.jsonl", content);
        const dataset = await openDataset(file);
        expect(dataset.format).toBe("jsonl");
        expect(dataset.files).toEqual([file]);
        expect(await collect(dataset)).toEqual([
            {ordinal: 0, location: "data.jsonl line 1", values: {text: "héllo 👋 世界", label: 1}},
            {ordinal: 1, location: "data.jsonl line 3", values: {text: "second", label: 2.5, tags: ["a"]}},
            {ordinal: 2, location: "data.jsonl line 5", values: {text: "third", label: null, meta: {k: true}}}
        ]);
        expect(await dataset.columns()).toEqual([
            {name: "text", type: "string"},
            {name: "label", type: "float64"},
            {name: "tags", type: "list<string>"},
            {name: "meta", type: "struct<k: bool>"}
        ]);
    });

    test("a malformed line throws a one-line error naming the line", async () => {
        const file = write("data.jsonl", '{"a": 1}\n{"a": 2}\n\n{"a": }\n{"a": 4}\n');
        const message = await errorMessage(collect(await openDataset(file)));
        expect(message).toMatch(/^data\.jsonl line 4: invalid JSON \(Unexpected token.*\); fix the line or pass --skip-invalid-rows$/);
        expect(message).not.toContain("\n");
        await expect(collect(await openDataset(file))).rejects.toBeInstanceOf(DatasetError);
    });

    test("with skipInvalidRows a malformed line becomes an error record at its ordinal", async () => {
        const file = write("data.jsonl", '{"a": 1}\n{"a": 2}\n\n{"a": }\n[1, 2]\n{"a": 4}\n');
        const records = await collect(await openDataset(file, {skipInvalidRows: true}));
        expect(records.map((record) => record.ordinal)).toEqual([0, 1, 2, 3, 4]);
        expect(records[2]).toMatchObject({ordinal: 2, location: "data.jsonl line 4"});
        expect((records[2] as {error: string}).error).toMatch(/^invalid JSON \(/);
        expect(records[3]).toEqual({ordinal: 3, location: "data.jsonl line 5", error: "expected a JSON object, found array"});
        expect(records[4]).toEqual({ordinal: 4, location: "data.jsonl line 6", values: {a: 4}});
        const inspection = await inspectDataset(file, {skipInvalidRows: true});
        expect(inspection.rows).toBe(5);
        expect(inspection.invalidRows).toBe(2);
    });

    test("a multi-byte character split across read chunks survives", async () => {
        const long = "é".repeat(70_000); // 140 KB of 2-byte characters: crosses the 64 KB chunk size
        const file = write("big.jsonl", `${JSON.stringify({text: long})}\n{"text": "ok"}\n`);
        expect(await collectValues(await openDataset(file))).toEqual([{text: long}, {text: "ok"}]);
    });
});

describe("JSON array", () => {
    test("streams the objects of a top-level array, nested values intact", async () => {
        const rows = [
            {id: 1, text: 'a, [b] {c} "quoted" \\ back', nested: {list: [1, {deep: [true, null]}], s: "]"}},
            {id: 2, text: "ü\nnewline", nested: {}},
            {id: 3, text: "", nested: {list: []}}
        ];
        const file = write("data.json", `\uFEFF[\n  ${rows.map((row) => JSON.stringify(row, null, 2)).join(",\n  ")}\n]\n`);
        const dataset = await openDataset(file);
        expect(dataset.format).toBe("json");
        const records = await collect(dataset);
        expect(records.map((record) => ("values" in record ? record.values : record))).toEqual(rows);
        expect(records[0]?.location).toBe("data.json element 0 (line 2)");
        expect(records[2]?.ordinal).toBe(2);
        expect(await dataset.columns()).toEqual([
            {name: "id", type: "int64"},
            {name: "text", type: "string"},
            {name: "nested", type: "struct<list: list<json>, s: string>"}
        ]);
    });

    test("an empty array has no rows", async () => {
        expect(await collect(await openDataset(write("empty.json", " [ ] ")))).toEqual([]);
    });

    test("a file that is not an array gives a clear error", async () => {
        const file = write("object.json", '{"rows": []}');
        expect(await errorMessage(collect(await openDataset(file)))).toBe(
            'object.json line 1: expected a JSON array of objects at the top level, found "{"; for one JSON object per line use a .jsonl file'
        );
    });

    test("an element that is not an object is an invalid row; a truncated array is an error", async () => {
        const file = write("mixed.json", '[{"a": 1}, 2, {"a": 3}]');
        expect(await errorMessage(collect(await openDataset(file)))).toBe(
            "mixed.json element 1 (line 1): expected a JSON object, found number; fix the element or pass --skip-invalid-rows"
        );
        const records = await collect(await openDataset(file, {skipInvalidRows: true}));
        expect(records.map((record) => record.ordinal)).toEqual([0, 1, 2]);

        const truncated = write("truncated.json", '[{"a": 1}, {"a": ');
        expect(await errorMessage(collect(await openDataset(truncated)))).toBe(
            "truncated.json: unexpected end of file inside the top-level JSON array; the file is truncated or malformed"
        );
    });
});

describe("CSV and TSV", () => {
    test("RFC 4180: quoted commas, newlines and escaped quotes; rows located by starting line", async () => {
        const file = write("data.csv", 'id,text,note\r\n1,"hello, world","multi\nline"\r\n\r\n2,"she said ""hi""",\r\n3,plain,"x"\r\n');
        const dataset = await openDataset(file);
        expect(dataset.format).toBe("csv");
        expect(await collect(dataset)).toEqual([
            {ordinal: 0, location: "data.csv line 2", values: {id: "1", text: "hello, world", note: "multi\nline"}},
            {ordinal: 1, location: "data.csv line 5", values: {id: "2", text: 'she said "hi"', note: ""}},
            {ordinal: 2, location: "data.csv line 6", values: {id: "3", text: "plain", note: "x"}}
        ]);
        expect(await dataset.columns()).toEqual([
            {name: "id", type: "string"},
            {name: "text", type: "string"},
            {name: "note", type: "string"}
        ]);
        expect((await inspectDataset(file)).rows).toBe(3);
    });

    test("a row with the wrong number of fields", async () => {
        const file = write("data.csv", "a,b\n1,2\n3\n4,5\n");
        expect(await errorMessage(collect(await openDataset(file)))).toBe(
            "data.csv line 3: expected 2 fields, found 1; fix the row or pass --skip-invalid-rows"
        );
        const records = await collect(await openDataset(file, {skipInvalidRows: true}));
        expect(records).toEqual([
            {ordinal: 0, location: "data.csv line 2", values: {a: "1", b: "2"}},
            {ordinal: 1, location: "data.csv line 3", error: "expected 2 fields, found 1"},
            {ordinal: 2, location: "data.csv line 4", values: {a: "4", b: "5"}}
        ]);
    });

    test("TSV uses tabs", async () => {
        const file = write("data.tsv", 'text\tlabel\nhello, world\tpos\n"tab\there"\tneg\n');
        const dataset = await openDataset(file);
        expect(dataset.format).toBe("tsv");
        expect(await collectValues(dataset)).toEqual([
            {text: "hello, world", label: "pos"},
            {text: "tab\there", label: "neg"}
        ]);
    });
});
