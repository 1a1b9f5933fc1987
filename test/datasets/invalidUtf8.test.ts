import fs from "node:fs";
import path from "node:path";
import {Readable} from "node:stream";
import {beforeAll, describe, expect, test} from "vitest";
import {DatasetError} from "../../src/datasets/DatasetError.js";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {generatedModel, readJsonlDir, runCli} from "../support/fixtures.js";
import {collect, collectValues, errorMessage, tempDir} from "./collect.js";

// Bytes that are not UTF-8 stop the read with one line naming the file, line and byte offset, for every text format:
// decoding them as U+FFFD would change the data without a word. The same for CSV/TSV as for JSONL, and
// --skip-invalid-rows does not skip them: the file must be converted, as for JSONL.

/** "text,label\nfine,1\ncaf<0xE9>,2\nbye,3\n": the bad byte is on line 3, at byte offset 21. */
const latin1Csv = Buffer.concat([Buffer.from("text,label\nfine,1\ncaf"), Buffer.from([0xe9]), Buffer.from(",2\nbye,3\n")]);
const latin1Message = (name: string, line: number, offset: number): string =>
    `${name} line ${line}: invalid UTF-8 at byte offset ${offset}; convert the file to UTF-8 (for example iconv -f latin1 -t utf-8)`;

function write(name: string, content: string | Buffer): string {
    const file = path.join(tempDir(), name);
    fs.writeFileSync(file, content);
    return file;
}

describe("CSV and TSV with bytes that are not UTF-8", () => {
    test("a Latin-1 byte in a row: one line naming the file, line and byte offset (no replacement characters)", async () => {
        const file = write("latin1.csv", latin1Csv);
        const message = await errorMessage(collect(await openDataset(file)));
        expect(message).toBe(latin1Message("latin1.csv", 3, 21));
        await expect(collect(await openDataset(file))).rejects.toBeInstanceOf(DatasetError);
    });

    test("--skip-invalid-rows does not skip them, as for JSONL", async () => {
        const csv = write("latin1.csv", latin1Csv);
        expect(await errorMessage(collect(await openDataset(csv, {skipInvalidRows: true})))).toBe(latin1Message("latin1.csv", 3, 21));
        expect(await errorMessage(inspectDataset(csv, {skipInvalidRows: true}))).toBe(latin1Message("latin1.csv", 3, 21));
        const jsonl = write("latin1.jsonl", Buffer.concat([Buffer.from('{"text":"fine"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
        expect(await errorMessage(collect(await openDataset(jsonl, {skipInvalidRows: true})))).toBe(latin1Message("latin1.jsonl", 2, 28));
    });

    test("TSV, and a bad byte inside a quoted field that spans lines names the line of the byte", async () => {
        const tsv = write("data.tsv", Buffer.concat([Buffer.from('text\tlabel\n"two\nlines '), Buffer.from([0xff]), Buffer.from('"\tpos\n')]));
        expect(await errorMessage(collect(await openDataset(tsv)))).toBe(latin1Message("data.tsv", 3, 22));
    });

    test("a bad byte in the header is refused when reading the columns", async () => {
        const file = write("header.csv", Buffer.concat([Buffer.from("na"), Buffer.from([0xef, 0xbf]), Buffer.from("me,label\nx,1\n")]));
        expect(await errorMessage((await openDataset(file)).columns())).toBe(latin1Message("header.csv", 1, 2));
    });

    test("a multi-byte character cut off at the end of the file", async () => {
        const file = write("cut.csv", Buffer.concat([Buffer.from("text\nok\n"), Buffer.from("世").subarray(0, 2)]));
        expect(await errorMessage(collect(await openDataset(file)))).toBe(latin1Message("cut.csv", 3, 8));
    });

    test("a bad byte far into the file: lines and bytes counted across read chunks", async () => {
        const good = Array.from({length: 5000}, (_, index) => `row ${index} é,${index}\n`).join("");
        const file = write("late.csv", Buffer.concat([Buffer.from(`text,n\n${good}`), Buffer.from([0x80]), Buffer.from(",1\n")]));
        const offset = Buffer.byteLength(`text,n\n${good}`);
        expect(await errorMessage(collect(await openDataset(file)))).toBe(latin1Message("late.csv", 5002, offset));
    });

    test("valid UTF-8 is unchanged, multi-byte characters split across read chunks included, and a BOM is dropped", async () => {
        const long = "é".repeat(70_000); // 140 KB of 2-byte characters: crosses the 64 KB chunk size
        const file = write("big.csv", `\ufefftext,label\n${long},1\n"héllo 👋 世界",2\n`);
        expect(await collectValues(await openDataset(file))).toEqual([
            {text: long, label: "1"},
            {text: "héllo 👋 世界", label: "2"}
        ]);
    });

    test("stdin is checked the same way, named stdin", async () => {
        const stdin = Readable.from([latin1Csv.subarray(0, 20), latin1Csv.subarray(20)], {objectMode: false});
        const dataset = await openDataset("-", {format: "csv", stdin});
        expect(await dataset.columns()).toEqual([
            {name: "text", type: "string"},
            {name: "label", type: "string"}
        ]);
        expect(await errorMessage(collect(dataset))).toBe(latin1Message("stdin", 3, 21));
    });
});

describe("through the CLI: one line on stderr, exit 1", () => {
    let model: string;
    beforeAll(async () => {
        model = await generatedModel();
    });

    test("airlabel inspect", async () => {
        const file = write("latin1.csv", latin1Csv);
        const result = await runCli(["inspect", file]);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toBe(`airlabel: ${latin1Message("latin1.csv", 3, 21)}\n`);
        expect(result.stdout).toBe("");
    });

    test("airlabel run, with and without --skip-invalid-rows: refused, nothing committed", async () => {
        const file = write("latin1.csv", latin1Csv);
        const dir = path.dirname(file);
        for (const extra of [[], ["--skip-invalid-rows"]]) {
            const output = path.join(dir, `out${extra.length}`);
            const result = await runCli([
                "run",
                "-i",
                file,
                "-m",
                model,
                "-o",
                output,
                "-p",
                "Label: {text}",
                "--choices",
                "a,b",
                "--max-tokens",
                "4",
                "--gpu",
                "cpu",
                "-q",
                ...extra
            ]);
            expect(result.code, result.stderr).toBe(1);
            const ours = result.stderr.split("\n").filter((line) => line.startsWith("airlabel: "));
            expect(ours, result.stderr).toEqual([`airlabel: ${latin1Message("latin1.csv", 3, 21)}`]);
            expect(readJsonlDir(path.join(output, "data"))).toEqual([]);
            expect(fs.existsSync(path.join(output, "manifest.json"))).toBe(false);
        }
    });
});
