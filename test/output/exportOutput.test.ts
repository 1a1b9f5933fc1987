import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {parquetReadObjects} from "hyparquet";
import {tableFromIPC} from "apache-arrow";
import {InvalidOptionError} from "../../src/AirlabelError.js";
import {ExportError, exportCommitted, exportOutput} from "../../src/handoff/exportOutput.js";
import type {Manifest} from "../../src/output/Manifest.js";
import {OutputStore} from "../../src/output/OutputStore.js";
import type {OutputFormat} from "../../src/output/OutputRow.js";
import {OutputNotFoundError} from "../../src/output/outputErrors.js";
import {readOutput} from "../../src/output/readOutput.js";
import {IDENTITY, annotated, failed, tempDir} from "./helpers.js";

/** Generation order (as a length-sorted run would produce it), not input order. */
const GENERATION_ORDER = [7, 2, 9, 0, 5, 11, 1, 8, 3, 10, 6, 4];
const FAILED = new Set([5, 10]);
const TOTAL = GENERATION_ORDER.length;

const textOf = (idx: number) => `row ${idx} ${"é".repeat(idx % 4)}`;
const annotationOf = (idx: number) => ({label: idx % 2 === 0 ? "even" : "odd", spans: [{start: idx, end: idx + 1}]});

/** A real run dir: shards of 3 rows committed in generation order, `complete` unless told otherwise. */
async function makeRun(format: OutputFormat, options: {complete?: boolean; order?: number[]} = {}): Promise<string> {
    const dir = path.join(tempDir(), "run");
    const store = await OutputStore.open({
        dir,
        format,
        shardSize: 3,
        identity: {...IDENTITY, format},
        meta: {totalRows: TOTAL}
    });
    try {
        for (const idx of options.order ?? GENERATION_ORDER) {
            if (FAILED.has(idx)) await store.fail(failed(idx));
            else await store.add(annotated(idx, {text: textOf(idx), score: idx / 4}, annotationOf(idx)));
        }
        if (options.complete === false) await store.commit();
        else await store.markComplete({totalRows: TOTAL});
    } finally {
        await store.close();
    }
    return dir;
}

/** Read an exported file back with the format's own reader, as plain records (int64 as numbers, JSON parsed). */
async function readBack(file: string, format: OutputFormat): Promise<Record<string, unknown>[]> {
    const bytes = fs.readFileSync(file);
    if (format === "jsonl")
        return bytes
            .toString("utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
    if (format === "parquet") {
        const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        const rows = await parquetReadObjects({file: buffer});
        return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
    }
    const table = tableFromIPC(bytes);
    return Array.from({length: table.numRows}, (_, i) => {
        const record: Record<string, unknown> = {};
        for (const field of table.schema.fields) {
            const value: unknown = table.getChild(field.name)?.get(i);
            record[field.name] =
                typeof value === "bigint" ? Number(value) : field.name === "annotation" && typeof value === "string" ? JSON.parse(value) : value;
        }
        return record;
    });
}

const okIdx = [...Array(TOTAL).keys()].filter((idx) => !FAILED.has(idx));

describe.each(["jsonl", "parquet", "arrow"] as OutputFormat[])("export to %s", (format) => {
    test("rows from shards written out of order come back as one file in ascending idx order", async () => {
        const dir = await makeRun(format);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
        expect(manifest.shards.length).toBe(4);
        const target = path.join(tempDir(), "nested", "dir", `annotated.${format}`);

        const result = await exportOutput({dir, to: target});

        expect(result).toEqual({rows: okIdx.length, errors: FAILED.size, file: target, format, complete: true});
        const records = await readBack(target, format);
        expect(records.map((record) => record.idx)).toEqual(okIdx);
        for (const record of records) {
            const idx = record.idx as number;
            expect(record.text).toBe(textOf(idx));
            expect(record.score).toBe(idx / 4);
            expect(record.annotation).toEqual(annotationOf(idx));
            expect(record.finish_reason).toBe("stop");
            expect(record.prompt_tokens).toBe(10 + idx);
            expect("error" in record).toBe(false);
        }
        expect(fs.readdirSync(path.dirname(target))).toEqual([`annotated.${format}`]);
    });

    test("includeErrors: failed rows in idx order with annotation null and the reason in an error column", async () => {
        const dir = await makeRun(format);
        const target = path.join(tempDir(), `all.${format}`);

        const result = await exportOutput({dir, to: target, includeErrors: true});

        expect(result.rows).toBe(TOTAL);
        expect(result.errors).toBe(FAILED.size);
        const records = await readBack(target, format);
        expect(records.map((record) => record.idx)).toEqual([...Array(TOTAL).keys()]);
        expect(Object.keys(records[0]!).at(-1)).toBe("error");
        for (const record of records) {
            const idx = record.idx as number;
            if (FAILED.has(idx)) {
                expect(record.annotation).toBeNull();
                expect(record.error).toBe("answer does not match the schema");
                expect(record.text).toBeNull();
                expect(record.attempts).toBe(3);
            } else {
                expect(record.annotation).toEqual(annotationOf(idx));
                expect(record.error).toBeNull();
                expect(record.text).toBe(textOf(idx));
            }
        }
    });
});

test("the format is taken from the target's extension; an explicit format overrides it", async () => {
    const dir = await makeRun("parquet");
    const out = tempDir();
    expect((await exportOutput({dir, to: path.join(out, "a.ndjson")})).format).toBe("jsonl");
    expect((await exportOutput({dir, to: path.join(out, "a.feather")})).format).toBe("arrow");
    const forced = await exportOutput({dir, to: path.join(out, "a.data"), format: "jsonl"});
    expect(forced.format).toBe("jsonl");
    expect((await readBack(forced.file, "jsonl")).map((record) => record.idx)).toEqual(okIdx);
});

test("a target whose extension names no format is refused with a one-line message; nothing is written", async () => {
    const dir = await makeRun("jsonl");
    const target = path.join(tempDir(), "annotated.csv");
    const error = await exportOutput({dir, to: target}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).message).toBe(
        `cannot tell the export format of ${target} from its extension (.csv); name it .jsonl, .parquet or .arrow, or pass --format jsonl|parquet|arrow`
    );
    expect((error as ExportError).exitCode).toBe(2);
    expect(fs.existsSync(target)).toBe(false);
    await expect(exportOutput({dir, to: target, format: "csv" as OutputFormat})).rejects.toBeInstanceOf(InvalidOptionError);
});

test("an incomplete run is refused (how many rows are missing, how to finish), then exported with allowIncomplete", async () => {
    const dir = await makeRun("arrow", {complete: false, order: GENERATION_ORDER.slice(0, 7)});
    const target = path.join(tempDir(), "partial.arrow");
    fs.writeFileSync(target, "previous export");

    const error = await exportOutput({dir, to: target}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    const message = (error as ExportError).message;
    expect(message).toBe(
        `${dir}/ holds an incomplete run (5 of 12 rows are still missing); re-run the same \`airlabel run\` command to finish it, or pass --allow-incomplete to export the rows committed so far`
    );
    expect(message).not.toContain("\n");
    expect(fs.readFileSync(target, "utf8")).toBe("previous export");

    const result = await exportOutput({dir, to: target, allowIncomplete: true});
    expect(result).toMatchObject({rows: 6, errors: 1, complete: false});
    expect((await readBack(target, "arrow")).map((record) => record.idx)).toEqual([0, 1, 2, 7, 9, 11]);
    expect(fs.readdirSync(path.dirname(target))).toEqual(["partial.arrow"]);
});

test("exportCommitted writes rows already read without reading the shards again: the same file as exportOutput, an incomplete run refused the same way", async () => {
    const dir = await makeRun("parquet");
    const out = tempDir();
    const direct = await exportOutput({dir, to: path.join(out, "direct.parquet"), includeErrors: true});
    const contents = await readOutput(dir);
    // the shards are gone: what is written comes from the rows given
    fs.rmSync(path.join(dir, "data"), {recursive: true});
    fs.rmSync(path.join(dir, "errors"), {recursive: true});
    const given = await exportCommitted({dir, to: path.join(out, "given.parquet"), includeErrors: true}, contents);
    expect(given).toEqual({...direct, file: path.join(out, "given.parquet")});
    expect(fs.readFileSync(given.file)).toEqual(fs.readFileSync(direct.file));

    const partialDir = await makeRun("jsonl", {complete: false, order: GENERATION_ORDER.slice(0, 7)});
    const partial = await readOutput(partialDir);
    const target = path.join(out, "partial.jsonl");
    const refused = await exportOutput({dir: partialDir, to: target}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExportError);
    await expect(exportCommitted({dir: partialDir, to: target}, partial)).rejects.toThrow(new ExportError((refused as Error).message));
    expect((await exportCommitted({dir: partialDir, to: target, allowIncomplete: true}, partial)).rows).toBe(6);
    await expect(exportCommitted({dir: partialDir, to: path.join(partialDir, "data", "x.jsonl")}, partial)).rejects.toThrow(/would overwrite part of the run/);
});

test("a run with only failed rows exports an empty file that its reader accepts", async () => {
    const dir = path.join(tempDir(), "run");
    const store = await OutputStore.open({dir, format: "parquet", identity: IDENTITY, meta: {totalRows: 2}});
    await store.fail(failed(1));
    await store.fail(failed(0));
    await store.markComplete({});
    await store.close();
    const out = tempDir();
    for (const format of ["jsonl", "parquet", "arrow"] as OutputFormat[]) {
        const result = await exportOutput({dir, to: path.join(out, `empty.${format}`)});
        expect(result).toMatchObject({rows: 0, errors: 2});
        expect(await readBack(result.file, format)).toEqual([]);
    }
    const withErrors = await exportOutput({dir, to: path.join(out, "errors.parquet"), includeErrors: true});
    expect((await readBack(withErrors.file, "parquet")).map((record) => [record.idx, record.error])).toEqual([
        [0, "answer does not match the schema"],
        [1, "answer does not match the schema"]
    ]);
});

test("an idx present twice in the store is reported as a bug, not written", async () => {
    const dir = await makeRun("jsonl");
    const manifestFile = path.join(dir, "manifest.json");
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
    // list the first shard twice: its rows are then committed twice
    manifest.shards.push({...manifest.shards[0]!, seq: 99});
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const target = path.join(tempDir(), "dup.jsonl");
    await expect(exportOutput({dir, to: target})).rejects.toThrow(/holds idx 2 twice .*a bug in the output store/);
    expect(fs.existsSync(target)).toBe(false);
});

test("a dir without a run, a target inside the run's shard dirs, and an unwritable target are refused", async () => {
    const empty = tempDir();
    await expect(exportOutput({dir: empty, to: path.join(empty, "x.jsonl")})).rejects.toBeInstanceOf(OutputNotFoundError);

    const dir = await makeRun("jsonl");
    await expect(exportOutput({dir, to: path.join(dir, "data", "all.jsonl")})).rejects.toThrow(/would overwrite part of the run/);
    const before = fs.readFileSync(path.join(dir, "manifest.json"), "utf8");
    await expect(exportOutput({dir, to: path.join(dir, "manifest.json"), format: "jsonl"})).rejects.toThrow(/would overwrite part of the run/);
    expect(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).toBe(before);

    // exporting next to the shards (in the run dir itself) is fine
    expect((await exportOutput({dir, to: path.join(dir, "all.jsonl")})).rows).toBe(okIdx.length);

    const target = path.join(tempDir(), "is-a-dir.jsonl");
    fs.mkdirSync(target);
    await expect(exportOutput({dir, to: target})).rejects.toThrow(/^could not write .*is-a-dir\.jsonl \(E[A-Z]+/);
});
