import fs from "node:fs";
import path from "node:path";
import {gzipSync} from "node:zlib";
import {describe, expect, test} from "vitest";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collect, collectValues, errorMessage, tempDir} from "./collect.js";

const dir = tempDir();

function write(name: string, content: string | Buffer): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
}

describe("CSV: an unbalanced quote is reported where it opened (item 15)", () => {
    test("a quote opened on line 3 of a 201-line file names line 3, not the end of the file", async () => {
        const lines = ["id,text", "1,a", '2,"b starts here', ...Array.from({length: 198}, (_, i) => `${i + 4},x`)];
        const file = write("quote.csv", lines.join("\n") + "\n");
        expect(await errorMessage(openDataset(file).then(collectValues))).toBe(
            "quote.csv line 3: a quote opened in field 2 of the row starting here is never closed (the file ends inside it); " +
                'close it, or double a quote inside a quoted field ("")'
        );
    });

    test("after multi-line quoted fields and empty lines, and past the parser's read-ahead", async () => {
        const file = write("quote2.csv", 'id,text\n1,"multi\nline"\n2,ok\n\n3,"open\n4,x\n');
        expect(await errorMessage(openDataset(file).then(collectValues))).toMatch(/^quote2\.csv line 6: a quote opened in field 2/u);
        const long = ["id,text", ...Array.from({length: 4999}, (_, i) => `${i + 2},x`), '5001,"open', ...Array.from({length: 4000}, (_, i) => `${i + 5002},x`)];
        const big = write("quote3.tsv", long.join("\n").replaceAll(",", "\t") + "\n");
        expect(await errorMessage(openDataset(big).then(collectValues))).toMatch(/^quote3\.tsv line 5001: a quote opened in field 2/u);
    });

    test("a row over AIRLABEL_MAX_LINE_BYTES names its line", async () => {
        const file = write("long.csv", `a,b\n1,${"x".repeat(3000)}\n2,3\n`);
        process.env.AIRLABEL_MAX_LINE_BYTES = "1000";
        try {
            expect(await errorMessage(openDataset(file).then(collectValues))).toMatch(/^long\.csv line 2: the row is longer than 1000 bytes/u);
        } finally {
            delete process.env.AIRLABEL_MAX_LINE_BYTES;
        }
    });
});

describe("the line-size limit (item 12)", () => {
    test("a real line past the default 64 MiB is an invalid row naming the line, its text not kept; the rows around it are read", async () => {
        const file = path.join(dir, "huge-line.jsonl");
        const fd = fs.openSync(file, "w");
        fs.writeSync(fd, '{"text":"before"}\n{"text":"');
        const block = "x".repeat(1 << 20);
        for (let i = 0; i < 65; i++) fs.writeSync(fd, block);
        fs.writeSync(fd, '"}\n{"text":"after"}\n');
        fs.closeSync(fd);
        const records = await collect(await openDataset(file, {skipInvalidRows: true}));
        expect(records).toEqual([
            {ordinal: 0, location: "huge-line.jsonl line 1", values: {text: "before"}},
            {
                ordinal: 1,
                location: "huge-line.jsonl line 2",
                error: "the line is longer than 67108864 bytes, the most airlabel reads in one record; shorten it or raise AIRLABEL_MAX_LINE_BYTES"
            },
            {ordinal: 2, location: "huge-line.jsonl line 3", values: {text: "after"}}
        ]);
        fs.rmSync(file);
    }, 60_000);
});

describe("one rule for duplicate names: refused, naming the key and the row", () => {
    test("a duplicate JSON key is an invalid row naming the key and line, like a duplicate CSV header", async () => {
        const jsonl = write("dup.jsonl", '{"text":"a"}\n{"text":"b","text":"c"}\n');
        expect(await errorMessage(openDataset(jsonl).then(collectValues))).toBe(
            'dup.jsonl line 2: duplicate key "text" in one object; keep one of them; fix the line or pass --skip-invalid-rows'
        );
        const records = await collect(await openDataset(jsonl, {skipInvalidRows: true}));
        expect(records[1]).toEqual({ordinal: 1, location: "dup.jsonl line 2", error: 'duplicate key "text" in one object; keep one of them'});
        const csv = write("dup.csv", "text,text\na,b\n");
        expect(await errorMessage(openDataset(csv).then(collectValues))).toMatch(/^dup\.csv line 1: duplicate column name "text"/u);
    });
});

describe("compressed and UTF-16 input are named, with the right hint", () => {
    test("gzip, zstd and zip content, and a .gz extension", async () => {
        const gz = write("data.jsonl", gzipSync('{"text":"a"}\n'));
        expect(await errorMessage(openDataset(gz).then(collectValues))).toBe(
            "data.jsonl: the file is gzip-compressed, not text; decompress it first (gzip -dc data.jsonl > decompressed-data.jsonl) and read the result"
        );
        const zst = write("z.csv", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]));
        expect(await errorMessage(openDataset(zst).then(collectValues))).toMatch(/^z\.csv: the file is zstd-compressed, not text/u);
        const zip = write("z.json", Buffer.from("PK\x03\x04rest", "latin1"));
        expect(await errorMessage(openDataset(zip).then(collectValues))).toMatch(/^z\.json: the file is a zip archive/u);
        const named = write("data.jsonl.gz", gzipSync('{"text":"a"}\n'));
        expect(await errorMessage(openDataset(named))).toMatch(/data\.jsonl\.gz has an unsupported extension "\.gz": it is compressed.*gunzip -k/u);
    });

    test("UTF-16 with a byte order mark (LE and BE) and without one; never the latin1 hint", async () => {
        const le = write("le.csv", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("id,text\n1,a\n", "utf16le")]));
        const be = write("be.jsonl", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('{"text":"a"}\n', "utf16le").swap16()]));
        const bare = write("bare.jsonl", Buffer.from('{"text":"a"}\n', "utf16le"));
        for (const [file, what] of [
            [le, "little-endian byte order mark"],
            [be, "big-endian byte order mark"],
            [bare, "every other byte is 0"]
        ] as const) {
            const message = await errorMessage(openDataset(file).then(collectValues));
            expect(message).toContain(what);
            expect(message).toMatch(/not UTF-8; convert it to UTF-8 first \(for example iconv -f UTF-16 -t UTF-8\)$/u);
            expect(message).not.toContain("latin1");
        }
    });
});
