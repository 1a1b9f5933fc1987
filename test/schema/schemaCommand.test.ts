import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {runCli, tempDir} from "../support/fixtures.js";

function schemaFile(value: unknown): string {
    const file = path.join(tempDir(), "schema.json");
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
}

const review = {
    type: "object",
    properties: {
        label: {enum: ["positive", "negative"]},
        confidence: {type: "number", minimum: 0, maximum: 1},
        tags: {type: "array", items: {type: "string"}, uniqueItems: true}
    },
    required: ["label", "confidence"],
    additionalProperties: false
};

describe("airlabel schema check", () => {
    test("prints the grammar size and the enforced / validated-only keywords", async () => {
        const file = schemaFile(review);
        const result = await runCli(["schema", "check", file]);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^grammar +\d+ rules, \d+ bytes/mu);
        expect(result.stdout).toContain("  /properties/confidence/maximum\n");
        expect(result.stdout).toMatch(/validated only +1 keyword/u);
        expect(result.stdout).toContain("  /properties/tags/uniqueItems: distinct items need memory");
    });

    test("--json gives the same report as data, --gbnf the grammar", async () => {
        const file = schemaFile(review);
        const json = await runCli(["schema", "check", file, "--json"]);
        expect(json.code).toBe(0);
        const report = JSON.parse(json.stdout) as {rules: number; bytes: number; enforced: string[]; validatedOnly: string[]; reasons: Record<string, string>};
        expect(report.validatedOnly).toEqual(["/properties/tags/uniqueItems"]);
        expect(report.enforced).toContain("/properties/label/enum");
        expect(report.rules).toBeGreaterThan(1);
        const gbnf = await runCli(["schema", "check", file, "--gbnf"]);
        expect(gbnf.code).toBe(0);
        expect(gbnf.stdout.startsWith("root ::= ")).toBe(true);
        expect(Buffer.byteLength(gbnf.stdout.trimEnd())).toBe(report.bytes);
    });

    test("a schema that is not valid JSON Schema exits non-zero with one line naming the file", async () => {
        const file = schemaFile({type: "object", properties: {a: {type: "strin"}}});
        const result = await runCli(["schema", "check", file]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(
            new RegExp(`^airlabel: ${file.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&")} is not a valid JSON Schema: .*; fix the schema file\\n$`, "u")
        );
    });

    test("a file that is not JSON, a missing file and a schema no value satisfies fail the same way", async () => {
        const broken = await runCli(["schema", "check", schemaFile('{"type": ')]);
        expect(broken.code).toBe(1);
        expect(broken.stderr).toMatch(/^airlabel: .*schema\.json: invalid JSON \(.*\); fix the file\n$/u);
        const missing = await runCli(["schema", "check", path.join(tempDir(), "nope.json")]);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/^airlabel: .*nope\.json not found; check the path\n$/u);
        const impossible = await runCli(["schema", "check", schemaFile({type: "integer", minimum: 2, maximum: 1})]);
        expect(impossible.code).toBe(1);
        expect(impossible.stderr).toMatch(/^airlabel: .*schema\.json: no JSON value satisfies the schema/u);
    });
});
