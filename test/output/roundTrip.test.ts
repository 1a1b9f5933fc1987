import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {parquetMetadata, parquetReadObjects} from "hyparquet";
import {tableFromIPC} from "apache-arrow";
import {OutputStore} from "../../src/output/OutputStore.js";
import {readOutput} from "../../src/output/readOutput.js";
import {OPTIONAL_COLUMNS, RESERVED_OUTPUT_COLUMNS, dataRecordOf, errorRecordOf} from "../../src/output/OutputRow.js";
import type {AnnotatedRow, OutputFormat} from "../../src/output/OutputRow.js";
import {IDENTITY, annotated, failed, tempDir} from "./helpers.js";

const rows: AnnotatedRow[] = [
    annotated(
        3,
        {text: "héllo wörld 👋 日本語", score: 1.5, count: 7, flag: true, tags: ["a", {b: null}], note: null},
        {label: "pos", spans: [{start: 0, end: 5, text: "héllo"}], confidence: 0.93, extra: null}
    ),
    annotated(0, {text: "", score: 2, count: -4, flag: false, tags: [], note: "x"}, "free-text answer ✓"),
    annotated(1, {text: null, score: null, count: null, flag: null, tags: null, note: null}, null),
    annotated(2, {text: 'line\nbreak "quoted" \\ tab\t', score: -0.25, count: 9007199254740991, flag: true, tags: {nested: {deep: [1, 2, 3]}}, note: 12}, [
        1,
        "two",
        {three: 3}
    ])
];

describe.each(["jsonl", "parquet", "arrow"] as OutputFormat[])("%s shards", (format) => {
    test("round-trip through readOutput: unicode, nulls, nested annotations, free text, sorted by idx", async () => {
        const dir = tempDir();
        const store = await OutputStore.open({dir, format, identity: {...IDENTITY, format}});
        for (const row of rows) await store.add(row);
        await store.fail(failed(9));
        await store.fail(failed(4));
        await store.commit();
        await store.close();

        const out = await readOutput(dir);
        const expected = [...rows].sort((a, b) => a.idx - b.idx).map(dataRecordOf);
        expect(out.rows).toEqual(expected);
        expect(out.errors).toEqual([errorRecordOf(failed(4)), errorRecordOf(failed(9))]);
        expect(Object.keys(out.rows[0]!)).toEqual([
            "idx",
            "text",
            "score",
            "count",
            "flag",
            "tags",
            "note",
            ...RESERVED_OUTPUT_COLUMNS.slice(1).filter((name) => !OPTIONAL_COLUMNS.has(name))
        ]);
        expect(out.manifest.outputFormat).toBe(format);
        expect(fs.readdirSync(path.join(dir, "data"))).toEqual([`part-00000.${format}`]);
        expect(fs.readdirSync(path.join(dir, "errors"))).toEqual(["part-00000.jsonl"]);
        const errorLines = fs
            .readFileSync(path.join(dir, "errors", "part-00000.jsonl"), "utf8")
            .trimEnd()
            .split("\n");
        expect(JSON.parse(errorLines[0]!)).toEqual({
            idx: 4,
            stage: "validate",
            reason: "answer does not match the schema",
            response: '{"label": 3}',
            finish_reason: "stop",
            attempts: 3,
            model: "tiny.gguf",
            location: "data.jsonl line 5"
        });
    });

    test("rows missing a column read back as null; shards of one run share the column kinds", async () => {
        const dir = tempDir();
        const store = await OutputStore.open({dir, format, identity: IDENTITY, shardSize: 2});
        await store.add(annotated(0, {a: 1, b: "x"}));
        await store.add(annotated(1, {a: 2}));
        await store.add(annotated(2, {b: "y"})); // `a` all-null in this shard: keeps its integer kind
        await store.add(annotated(3, {a: 2.5, c: true}));
        await store.close();
        const out = await readOutput(dir);
        expect(out.rows.map((row) => [row.idx, row.a, row.b, row.c ?? null])).toEqual([
            [0, 1, "x", null],
            [1, 2, null, null],
            [2, null, "y", null],
            [3, 2.5, null, true]
        ]);
        expect(out.manifest.shards.map((shard) => shard.data?.rows)).toEqual([2, 2]);
    });
});

test("jsonl data shard: one JSON object per line, annotation as native JSON", async () => {
    const dir = tempDir();
    const store = await OutputStore.open({dir, identity: IDENTITY});
    await store.add(annotated(1, {text: "b"}, {label: "x", n: [1]}));
    await store.add(annotated(0, {text: "a"}, "plain"));
    await store.commit();
    await store.close();
    const lines = fs.readFileSync(path.join(dir, "data", "part-00000.jsonl"), "utf8").split("\n");
    expect(lines.length).toBe(3);
    expect(lines[2]).toBe("");
    expect(JSON.parse(lines[0]!)).toEqual({
        idx: 0,
        text: "a",
        annotation: "plain",
        finish_reason: "stop",
        prompt_tokens: 10,
        completion_tokens: 5,
        attempts: 1,
        model: "tiny.gguf"
    });
    expect(JSON.parse(lines[1]!).annotation).toEqual({label: "x", n: [1]});
});

test("parquet shards are plain parquet that hyparquet reads directly, with standard column types", async () => {
    const dir = tempDir();
    const store = await OutputStore.open({dir, format: "parquet", identity: IDENTITY});
    for (const row of rows) await store.add(row);
    await store.commit();
    await store.close();

    const bytes = fs.readFileSync(path.join(dir, "data", "part-00000.parquet"));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(bytes.subarray(0, 4).toString()).toBe("PAR1");
    const metadata = parquetMetadata(file);
    const types = Object.fromEntries(metadata.schema.slice(1).map((element) => [element.name, [element.type, element.converted_type ?? null]]));
    expect(types).toEqual({
        idx: ["INT64", null],
        text: ["BYTE_ARRAY", "UTF8"],
        score: ["DOUBLE", null],
        count: ["INT64", null],
        flag: ["BOOLEAN", null],
        tags: ["BYTE_ARRAY", "JSON"],
        note: ["BYTE_ARRAY", "JSON"],
        annotation: ["BYTE_ARRAY", "JSON"],
        finish_reason: ["BYTE_ARRAY", "UTF8"],
        prompt_tokens: ["INT64", null],
        completion_tokens: ["INT64", null],
        attempts: ["INT64", null],
        model: ["BYTE_ARRAY", "UTF8"]
    });
    expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe("SNAPPY");
    const read = await parquetReadObjects({file});
    expect(read.map((row) => row.idx)).toEqual([0n, 1n, 2n, 3n]);
    expect(read[3]!.text).toBe("héllo wörld 👋 日本語");
    expect(read[3]!.annotation).toEqual(rows[0]!.annotation);
    expect(read[1]!.flag).toBe(null);
});

test("arrow shards are Arrow IPC files that apache-arrow reads directly", async () => {
    const dir = tempDir();
    const store = await OutputStore.open({dir, format: "arrow", identity: IDENTITY});
    for (const row of rows) await store.add(row);
    await store.commit();
    await store.close();

    const bytes = fs.readFileSync(path.join(dir, "data", "part-00000.arrow"));
    expect(bytes.subarray(0, 6).toString()).toBe("ARROW1");
    const table = tableFromIPC(bytes);
    expect(table.numRows).toBe(4);
    const types = Object.fromEntries(table.schema.fields.map((field) => [field.name, String(field.type)]));
    expect(types).toEqual({
        idx: "Int64",
        text: "Utf8",
        score: "Float64",
        count: "Int64",
        flag: "Bool",
        tags: "Utf8",
        note: "Utf8",
        annotation: "Utf8",
        finish_reason: "Utf8",
        prompt_tokens: "Int64",
        completion_tokens: "Int64",
        attempts: "Int64",
        model: "Utf8"
    });
    expect(Array.from(table.getChild("idx")!.toArray() as BigInt64Array)).toEqual([0n, 1n, 2n, 3n]);
    expect(JSON.parse(table.getChild("annotation")!.get(3) as string)).toEqual(rows[0]!.annotation);
    expect(table.getChild("annotation")!.get(1)).toBe(null);
    expect(table.getChild("text")!.get(3)).toBe("héllo wörld 👋 日本語");
});
