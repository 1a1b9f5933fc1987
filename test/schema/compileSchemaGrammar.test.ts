import {describe, expect, test} from "vitest";
import {compileSchemaGrammar, SchemaGrammarError} from "../../src/schema/grammar/compileSchemaGrammar.js";
import {AirlabelError} from "../../src/AirlabelError.js";
import {useGrammarHarness} from "./grammarHarness.js";

const harness = useGrammarHarness();

/** `depth` definitions, each an anyOf of `width` branches referring to the next one: width^depth combinations. */
function explosive(depth: number, width: number): Record<string, unknown> {
    const $defs: Record<string, unknown> = {};
    for (let i = 0; i < depth; i++) {
        $defs[`d${i}`] = {
            anyOf: Array.from({length: width}, (_, j) => (i + 1 < depth ? {$ref: `#/$defs/d${i + 1}`, minLength: j} : {type: "string", maxLength: j + i}))
        };
    }
    return {$defs, $ref: "#/$defs/d0"};
}

describe("compileSchemaGrammar report", () => {
    test("lists enforced, validated-only and ignored keywords as JSON pointers, with reasons", () => {
        const result = compileSchemaGrammar({
            type: "object",
            properties: {
                tags: {type: "array", items: {type: "string", format: "color"}, uniqueItems: true, maxItems: 3},
                score: {type: "number", minimum: 0, maximum: 1, "x-unit": "ratio"}
            },
            required: ["score"],
            description: "annotations are in no list"
        });
        expect(result.enforced).toEqual([
            "/properties",
            "/properties/score/maximum",
            "/properties/score/minimum",
            "/properties/score/type",
            "/properties/tags/items",
            "/properties/tags/items/type",
            "/properties/tags/maxItems",
            "/properties/tags/type",
            "/required",
            "/type"
        ]);
        expect(result.validatedOnly).toEqual(["/properties/tags/uniqueItems"]);
        expect(result.ignored).toEqual(["/properties/score/x-unit", "/properties/tags/items/format"]);
        expect(Object.keys(result.reasons)).toEqual(["/properties/tags/uniqueItems"]);
        expect(result.rules).toBe(result.gbnf.split("\n").length);
        expect(result.bytes).toBe(Buffer.byteLength(result.gbnf));
        expect(result.gbnf.startsWith("root ::= ")).toBe(true);
    });

    test("the same subschema used many times is one rule", () => {
        const one = compileSchemaGrammar({type: "object", properties: {a: {$ref: "#/$defs/x"}}, $defs: {x: {type: "string", pattern: "^[a-z]{3}$"}}});
        const many = compileSchemaGrammar({
            type: "object",
            properties: Object.fromEntries(Array.from({length: 20}, (_, i) => [`p${i}`, {$ref: "#/$defs/x"}])),
            $defs: {x: {type: "string", pattern: "^[a-z]{3}$"}}
        });
        expect(many.gbnf.match(/\[a-z\]\{3\}/gu)?.length).toBe(one.gbnf.match(/\[a-z\]\{3\}/gu)?.length);
    });
});

describe("limits: a pathological schema fails with one clear line, it never hangs", () => {
    test("the compile time limit gives a one-line error naming the schema", () => {
        let error: unknown;
        try {
            compileSchemaGrammar(explosive(12, 6), {timeoutMs: 0, origin: "huge.json"});
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(SchemaGrammarError);
        expect(error).toBeInstanceOf(AirlabelError);
        const message = (error as Error).message;
        expect(message).toMatch(/^huge\.json: cannot compile the schema into a grammar: compile time limit reached .*; simplify the schema/u);
        expect(message).not.toContain("\n");
    });

    test("exponentially many anyOf combinations end (a grammar or a SchemaGrammarError), never a hang", () => {
        let outcome: string;
        try {
            outcome = compileSchemaGrammar(explosive(12, 6)).gbnf === "" ? "empty" : "grammar";
        } catch (err) {
            outcome = err instanceof SchemaGrammarError ? "error" : String(err);
        }
        expect(["grammar", "error"]).toContain(outcome);
    });

    test("an enormous enum exceeds the grammar size limit", () => {
        const values = Array.from({length: 200_000}, (_, i) => `value-${i}`);
        // a generous time budget: under load the 3 s default could end the compile before the size limit does
        expect(() => compileSchemaGrammar({enum: values}, {maxGrammarBytes: 1_000_000, timeoutMs: 60_000})).toThrow(/grammar larger than 1000000 bytes/u);
    });

    test("a self-referencing schema without a finite value is refused, one that has one compiles", () => {
        expect(() => compileSchemaGrammar({type: "object", properties: {self: {$ref: "#"}}, required: ["self"]}, {origin: "loop.json"})).toThrow(
            /^loop\.json: no JSON value satisfies the schema .*maxRecursionDepth 3/u
        );
        expect(compileSchemaGrammar({$ref: "#/$defs/a", $defs: {a: {$ref: "#/$defs/b"}, b: {allOf: [{$ref: "#/$defs/a"}, {type: "integer"}]}}}).gbnf).toContain(
            "root ::= "
        );
    });

    test("a very deeply nested schema fails cleanly", () => {
        let schema: Record<string, unknown> = {type: "integer"};
        for (let i = 0; i < 20_000; i++) schema = {type: "array", items: schema};
        expect(() => compileSchemaGrammar(schema)).toThrow(SchemaGrammarError);
    });

    test("lengths above llama.cpp's repetition limit (2000) stay exact", async () => {
        const g = await harness.compile({type: "string", minLength: 2001, maxLength: 2600});
        const text = (n: number) => `"${"x".repeat(n)}"`;
        expect(g.mismatches({accept: [text(2001), text(2600)], reject: [text(2000), text(2601)]})).toEqual([]);
    });
});
