import fs from "node:fs";
import path from "node:path";
import {parquetReadObjects} from "hyparquet";
import {tableFromIPC} from "apache-arrow";
import {beforeAll, describe, expect, test} from "vitest";
import {readOutput} from "../../src/output/readOutput.js";
import {generatedModel, runCli, tempDir} from "../support/fixtures.js";

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

/** The text of every JSONL file in `folder`, in name order. */
function jsonlText(folder: string): string {
    return fs
        .readdirSync(folder)
        .filter((f) => f.endsWith(".jsonl"))
        .sort()
        .map((f) => fs.readFileSync(path.join(folder, f), "utf8"))
        .join("");
}

async function run(input: string, output: string, extra: string[] = []) {
    return runCli(["run", "-i", input, "-m", model, "-o", output, "-p", "Say {text}", "--max-tokens", "2", "-q", ...extra]);
}

/** One line on stderr naming `pattern`, a non-zero exit, no stack. */
function expectOneLine(result: {code: number | null; stderr: string}, pattern: RegExp): void {
    expect(result.code, result.stderr).not.toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^airlabel: /u);
    expect(lines[0]).toMatch(pattern);
    expect(result.stderr).not.toMatch(/RangeError|\n\s+at /u);
}

const exactRows = [
    '{"id":1234567890123456789,"text":"a","n":9007199254740993,"neg":-9007199254740993,"deep":{"x":[18446744073709551615,1.5]}}',
    '{"id":123456789012345678901234567890,"text":"b","n":9007199254740991,"neg":0,"deep":{"x":[]}}'
];

describe("numbers in JSON input reach the output exactly (item 2)", () => {
    test("JSONL in, JSONL out: integers beyond 2^53 are written back byte for byte", async () => {
        const input = path.join(dir, "big.jsonl");
        fs.writeFileSync(input, exactRows.join("\n") + "\n");
        const output = path.join(dir, "big-out");
        const result = await run(input, output);
        expect(result.code, result.stderr).toBe(0);
        const text = jsonlText(path.join(output, "data"));
        expect(text).toContain('"id":1234567890123456789,');
        expect(text).toContain('"n":9007199254740993,"neg":-9007199254740993,"deep":{"x":[18446744073709551615,1.5]}');
        expect(text).toContain('"id":123456789012345678901234567890,');

        const target = path.join(dir, "big-export.jsonl");
        const exported = await runCli(["export", output, "--to", target]);
        expect(exported.code, exported.stderr).toBe(0);
        const lines = fs.readFileSync(target, "utf8");
        expect(lines).toContain('"id":1234567890123456789,');
        expect(lines).toContain('"deep":{"x":[18446744073709551615,1.5]}');

        const csv = path.join(dir, "big-export.csv");
        expect((await runCli(["export", output, "--to", csv])).code).toBe(0);
        expect(fs.readFileSync(csv, "utf8")).toContain("1234567890123456789,");
    });

    test("a .json array in, parquet and arrow shards out: the same values come back", async () => {
        const input = path.join(dir, "big.json");
        fs.writeFileSync(input, `[\n${exactRows.join(",\n")}\n]\n`);
        for (const format of ["parquet", "arrow"]) {
            const output = path.join(dir, `big-${format}`);
            const result = await run(input, output, ["--format", format]);
            expect(result.code, result.stderr).toBe(0);
            const {rows} = await readOutput(output);
            expect(rows.map((row) => row.id)).toEqual([1234567890123456789n, 123456789012345678901234567890n]);
            expect(rows.map((row) => row.n)).toEqual([9007199254740993n, 9007199254740991]);
            expect(rows[0]!.deep).toEqual({x: [18446744073709551615n, 1.5]});
            const shard = fs.readdirSync(path.join(output, "data")).find((f) => f.endsWith(`.${format}`))!;
            const bytes = fs.readFileSync(path.join(output, "data", shard));
            const ids =
                format === "parquet"
                    ? (await parquetReadObjects({file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer})).map(
                          (row) => row.n
                      )
                    : Array.from(tableFromIPC(bytes).getChild("n")!.toArray() as BigInt64Array);
            expect(ids).toEqual([9007199254740993n, 9007199254740991n]); // an int64 column, not a string or a float
        }
    });

    test("a number JSON cannot hold (1e400) is an error naming the line; --skip-invalid-rows sends it to errors/", async () => {
        const input = path.join(dir, "huge.jsonl");
        fs.writeFileSync(input, '{"text":"a","x":1}\n{"text":"b","x":1e400}\n{"text":"c","x":2}\n');
        expectOneLine(
            await run(input, path.join(dir, "huge-out")),
            /huge\.jsonl line 2: the number 1e400 is beyond the range of a 64-bit float.*--skip-invalid-rows/u
        );
        const output = path.join(dir, "huge-skip");
        const skipped = await run(input, output, ["--skip-invalid-rows"]);
        expect(skipped.code, skipped.stderr).toBe(0);
        const errors = jsonlText(path.join(output, "errors"));
        expect(errors).toContain('"idx":1,"stage":"input"');
        expect(errors).toContain("huge.jsonl line 2");
        expect(jsonlText(path.join(output, "data"))).not.toContain('"idx":1,');
    });
});

describe("nesting and line size (items 11, 12)", () => {
    for (const depth of [5_000, 200_000]) {
        test(`JSON nested ${depth} deep: one line naming the row; --skip-invalid-rows sends it to errors/`, async () => {
            const input = path.join(dir, `deep-${depth}.jsonl`);
            fs.writeFileSync(input, `{"text":"a"}\n{"text":"b","v":${"[".repeat(depth)}${"]".repeat(depth)}}\n{"text":"c"}\n`);
            expectOneLine(
                await run(input, path.join(dir, `deep-${depth}-out`)),
                new RegExp(`deep-${depth}\\.jsonl line 2: nested ${depth + 1} levels deep, more than the 1000`, "u")
            );
            const output = path.join(dir, `deep-${depth}-skip`);
            const skipped = await run(input, output, ["--skip-invalid-rows"]);
            expect(skipped.code, skipped.stderr).toBe(0);
            expect(jsonlText(path.join(output, "errors"))).toMatch(/"idx":1,"stage":"input","reason":"nested \d+ levels deep/u);
        });
    }

    test("a line over AIRLABEL_MAX_LINE_BYTES: one line naming it; --skip-invalid-rows sends it to errors/", async () => {
        const input = path.join(dir, "long.jsonl");
        fs.writeFileSync(input, `{"text":"a"}\n{"text":"${"x".repeat(5000)}"}\n{"text":"c"}\n`);
        process.env.AIRLABEL_MAX_LINE_BYTES = "1000";
        try {
            expectOneLine(await run(input, path.join(dir, "long-out")), /long\.jsonl line 2: the line is longer than 1000 bytes.*AIRLABEL_MAX_LINE_BYTES/u);
            const output = path.join(dir, "long-skip");
            const skipped = await run(input, output, ["--skip-invalid-rows"]);
            expect(skipped.code, skipped.stderr).toBe(0);
            expect(jsonlText(path.join(output, "errors"))).toMatch(/"idx":1,"stage":"input","reason":"the line is longer than 1000 bytes/u);
            expect(jsonlText(path.join(output, "data"))).toMatch(/"idx":2,/u);
            process.env.AIRLABEL_MAX_LINE_BYTES = "lots";
            expectOneLine(await run(input, path.join(dir, "long-bad")), /AIRLABEL_MAX_LINE_BYTES must be a positive integer/u);
        } finally {
            delete process.env.AIRLABEL_MAX_LINE_BYTES;
        }
    });
});

describe("one rule for inputs with no rows", () => {
    test("a header-only CSV is refused like an empty JSONL", async () => {
        const csv = path.join(dir, "header-only.csv");
        fs.writeFileSync(csv, "text,label\n");
        expectOneLine(
            await run(csv, path.join(dir, "header-only-out")),
            new RegExp(`input ${csv} has no rows \\(only a header\\); check the --input path`, "u")
        );
        const jsonl = path.join(dir, "empty.jsonl");
        fs.writeFileSync(jsonl, "");
        expectOneLine(await run(jsonl, path.join(dir, "empty-out")), new RegExp(`input ${jsonl} has no rows \\(it is empty\\); check the --input path`, "u"));
    });
});
