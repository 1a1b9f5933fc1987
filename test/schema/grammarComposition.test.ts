import {describe, expect, test} from "vitest";
import {useGrammarHarness} from "./grammarHarness.js";

const harness = useGrammarHarness();

describe("anyOf, oneOf, allOf", () => {
    test("anyOf is the union of its branches", async () => {
        const g = await harness.compile({anyOf: [{type: "integer", minimum: 10}, {type: "string", maxLength: 1}, {type: "null"}]});
        expect(g.mismatches({accept: ["10", '"a"', "null"], reject: ["9", '"ab"', "true"]})).toEqual([]);
    });

    test("oneOf with required-only branches: each output matches exactly one", async () => {
        const g = await harness.compile({
            type: "object",
            properties: {radius: {type: "number"}, length: {type: "number"}, width: {type: "number"}},
            oneOf: [{required: ["radius"]}, {required: ["length", "width"]}]
        });
        expect(g.mismatches({accept: ['{"radius":1}', '{"length":1,"width":2}'], reject: ["{}", '{"radius":1,"length":1,"width":2}', '{"length":1}']})).toEqual(
            []
        );
        expect(g.compiled.enforced).toContain("/oneOf");
    });

    test("oneOf told apart by a discriminating property", async () => {
        const g = await harness.compile({
            oneOf: [
                {type: "object", properties: {kind: {const: "circle"}, r: {type: "number"}}},
                {type: "object", properties: {kind: {enum: ["square", "rect"]}, side: {type: "number"}}}
            ]
        });
        expect(g.mismatches({accept: ['{"kind":"circle"}', '{"kind":"rect","side":2}'], reject: ["{}", '{"r":1}']})).toEqual([]);
        expect(g.compiled.validatedOnly).toEqual([]);
    });

    test("oneOf whose branches cannot be told apart is reported as validated only", async () => {
        const g = await harness.compile({oneOf: [{type: "string"}, {type: "string", maxLength: 3}]});
        expect(g.compiled.validatedOnly).toEqual(["/oneOf"]);
    });

    test("allOf merges: properties, required and the tightest bounds", async () => {
        const g = await harness.compile({
            allOf: [
                {type: "object", properties: {a: {type: "integer", minimum: 0}}, required: ["a"]},
                {properties: {a: {maximum: 5}, b: {type: "boolean"}}, required: ["b"]}
            ]
        });
        expect(g.mismatches({accept: ['{"a":0,"b":true}', '{"a":5,"b":false}'], reject: ['{"a":6,"b":true}', '{"a":1}', '{"b":true}']})).toEqual([]);
    });

    test("not: a type, a required pair, a value, a character class", async () => {
        const type = await harness.compile({type: ["string", "null"], not: {type: "null"}});
        expect(type.mismatches({accept: ['"x"'], reject: ["null"]})).toEqual([]);
        const pair = await harness.compile({type: "object", properties: {a: {type: "integer"}, b: {type: "integer"}}, not: {required: ["a", "b"]}});
        expect(pair.mismatches({accept: ['{"a":1}', "{}"], reject: ['{"a":1,"b":2}']})).toEqual([]);
        const value = await harness.compile({type: "string", not: {enum: ["admin", "root"]}});
        expect(value.mismatches({accept: ['"adm"', '"admins"', '"user"', '""'], reject: ['"admin"', '"root"']})).toEqual([]);
        const chars = await harness.compile({type: "string", not: {pattern: "[^a-z ]"}});
        expect(chars.mismatches({accept: ['"abc d"'], reject: ['"abC"', '"a1"']})).toEqual([]);
        for (const g of [type, pair, value, chars]) expect(g.compiled.validatedOnly).toEqual([]);
    });

    test("if/then/else and other negations are reported as validated only", async () => {
        const g = await harness.compile({
            type: "object",
            properties: {a: {type: "string"}},
            if: {required: ["a"]},
            then: {required: ["b"]},
            not: {properties: {a: {const: "x"}}}
        });
        expect(g.compiled.validatedOnly).toEqual(["/if", "/not", "/then"]);
    });
});

describe("$ref", () => {
    test("$defs, definitions, nested pointers and $id-relative refs", async () => {
        const g = await harness.compile({
            $schema: "https://json-schema.org/draft/2020-12/schema",
            $id: "https://example.com/root.json",
            definitions: {pos: {type: "integer", minimum: 1}},
            $defs: {pair: {type: "array", prefixItems: [{$ref: "#/definitions/pos"}, {$ref: "root.json#/definitions/pos"}], minItems: 2, items: false}},
            type: "object",
            properties: {p: {$ref: "#/$defs/pair"}},
            required: ["p"]
        });
        expect(g.mismatches({accept: ['{"p":[1,2]}'], reject: ['{"p":[0,2]}', '{"p":[1]}', '{"p":[1,2,3]}']})).toEqual([]);
    });

    test("recursion is unrolled to maxRecursionDepth levels", async () => {
        const tree = {
            $defs: {node: {type: "object", properties: {v: {type: "integer"}, kids: {type: "array", items: {$ref: "#/$defs/node"}}}, required: ["v"]}},
            $ref: "#/$defs/node"
        };
        const g = await harness.compile(tree, {maxRecursionDepth: 2});
        expect(
            g.mismatches({
                accept: ['{"v":1}', '{"v":1,"kids":[{"v":2,"kids":[{"v":3}]}]}'],
                reject: ['{"v":1,"kids":[{"v":2,"kids":[{"v":3,"kids":[{"v":4}]}]}]}', '{"kids":[]}']
            })
        ).toEqual([]);
    });

    test("keywords of another dialect are ignored, as ajv ignores them (prefixItems in draft-07)", async () => {
        const g = await harness.compile({type: "array", prefixItems: [{type: "string"}], items: {type: "integer"}});
        expect(g.mismatches({accept: ["[1,2]"], reject: ['["a"]']})).toEqual([]);
        expect(g.compiled.ignored).toEqual(["/prefixItems"]);
    });

    test("an unresolvable $ref fails with a one-line message naming it", async () => {
        await expect(harness.compile({type: "object", properties: {a: {$ref: "#/definitions/missing"}}})).rejects.toThrow(
            /\$ref "#\/definitions\/missing" at \/properties\/a does not resolve/u
        );
    });
});
