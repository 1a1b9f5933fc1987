import fs from "node:fs";
import path from "node:path";
import {Command} from "commander";
import {describe, expect, test} from "vitest";
import {registerInspectCommand} from "../../src/cli/commands/inspect.js";
import {DatasetError} from "../../src/datasets/DatasetError.js";
import {tempDir} from "./collect.js";

/** Runs `airlabel inspect ...args` in-process and returns what it wrote to stdout. */
async function inspect(args: string[]): Promise<string> {
    const program = new Command("airlabel").exitOverride().configureOutput({writeErr: () => undefined, writeOut: () => undefined});
    registerInspectCommand(program);
    let out = "";
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
    }) as typeof process.stdout.write;
    try {
        await program.parseAsync(["inspect", ...args], {from: "user"});
    } finally {
        process.stdout.write = write;
    }
    return out;
}

function dataFile(): string {
    const file = path.join(tempDir(), "reviews.jsonl");
    fs.writeFileSync(file, '{"text": "great", "stars": 5}\n{"text": "bad", "stars": 1, "tags": ["x"]}\n\n{"text": "ok", "stars": 3.5}\n');
    return file;
}

describe("airlabel inspect", () => {
    test("--json prints {rows, columns} on stdout", async () => {
        const out = await inspect([dataFile(), "--json"]);
        expect(JSON.parse(out)).toEqual({
            rows: 3,
            columns: [
                {name: "text", type: "string"},
                {name: "stars", type: "float64"},
                {name: "tags", type: "list<string>"}
            ]
        });
        expect(out.endsWith("\n")).toBe(true);
    });

    test("prints a readable table by default", async () => {
        const file = dataFile();
        const out = await inspect([file]);
        expect(out).toBe(
            [
                `dataset  ${file}`,
                "format   jsonl",
                "files    reviews.jsonl",
                "rows     3",
                "columns  3",
                "",
                "  name   type",
                "  text   string",
                "  stars  float64",
                "  tags   list<string>",
                ""
            ].join("\n")
        );
    });

    test("--format overrides the extension; --skip-invalid-rows counts malformed rows", async () => {
        const file = path.join(tempDir(), "rows.txt");
        fs.writeFileSync(file, "a,b\n1,2\n3\n");
        await expect(inspect([file, "--format", "csv", "--json"])).rejects.toThrow(
            "rows.txt line 3: expected 2 fields, found 1; fix the row or pass --skip-invalid-rows"
        );
        const out = await inspect([file, "--format", "csv", "--skip-invalid-rows"]);
        expect(out).toContain("rows     2 (1 invalid)\n");
        await expect(inspect([file, "--format", "xlsx"])).rejects.toThrow(/Allowed choices are jsonl, json, csv, tsv, parquet, arrow/);
    });

    test("a missing dataset is a DatasetError with a one-line message", async () => {
        const error = await inspect(["missing.parquet"]).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(DatasetError);
        expect((error as Error).message).toBe("input file missing.parquet not found; check the path");
    });

    test("--help shows an example", () => {
        const program = new Command("airlabel");
        registerInspectCommand(program);
        const help = program.commands.find((command) => command.name() === "inspect");
        let text = "";
        help?.configureOutput({
            writeOut: (chunk) => {
                text += chunk;
            }
        });
        help?.outputHelp();
        expect(text).toContain("$ airlabel inspect data/train.parquet");
    });
});
