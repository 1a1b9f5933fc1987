import {describe, expect, test} from "vitest";
import {useGrammarHarness} from "./grammarHarness.js";
import {compileSchemaGrammar} from "../../src/schema/grammar/compileSchemaGrammar.js";

const harness = useGrammarHarness();

describe("type", () => {
    test("each JSON type, type arrays and null", async () => {
        const g = await harness.compile({type: ["string", "null"]});
        expect(g.mismatches({accept: ['"a"', "null", '""'], reject: ["1", "true", "{}", "[]", "nul", '"a']})).toEqual([]);
        const b = await harness.compile({type: "boolean"});
        expect(b.mismatches({accept: ["true", "false"], reject: ["null", '"true"', "tru", "1"]})).toEqual([]);
        const i = await harness.compile({type: "integer"});
        expect(i.mismatches({accept: ["0", "-7", "123456789012345"], reject: ["1.5", "01", "-0", "1e3", '"1"', "-"]})).toEqual([]);
        const n = await harness.compile({type: "number"});
        expect(n.mismatches({accept: ["0", "-7.25", "3.0", "0.001"], reject: ["1.", ".5", "01", "1e3", "NaN", "--1"]})).toEqual([]);
        expect(g.compiled.enforced).toEqual(["/type"]);
    });

    test("{} and true accept any JSON value; false admits nothing", async () => {
        const any = await harness.compile({});
        expect(
            any.mismatches({accept: ["1", '"x"', "null", '[1,"a",{"b":[]}]', '{"k":{"n":null}}', "[]", "{}"], reject: ["", "{", "[1,]", '{"a"}', "'a'"]})
        ).toEqual([]);
        const t = await harness.compile(true);
        expect(t.mismatches({accept: ["false", '{"a":1}']})).toEqual([]);
        await expect(harness.compile(false)).rejects.toThrow(/no JSON value satisfies/u);
    });

    test("the value ends the output: no whitespace before or after, end of generation right after", async () => {
        const g = await harness.compile({type: "object", properties: {a: {type: "integer"}}, required: ["a"]});
        expect(g.mismatches({accept: ['{"a":1}', '{ "a" : 1 }', '{\n"a":\n1\n}'], reject: [' {"a":1}', '{"a":1} ', '{"a":1}\n', '{  "a":1}']})).toEqual([]);
        // after "}" only end-of-generation: no newline, no space
        expect(harness.allowsNextByte(g.grammar, '{"a":1}', 0x0a)).toBe(false);
        expect(harness.allowsNextByte(g.grammar, '{"a":1}', 0x20)).toBe(false);
    });

    test("canonical spacing (the default): one space after each colon and comma, none elsewhere", async () => {
        const g = await harness.compile(
            {type: "object", properties: {a: {type: "integer"}, b: {type: "array", items: {type: "integer"}}, c: {type: "object"}}, required: ["a"]},
            {spacing: "canonical"}
        );
        expect(
            g.mismatches({
                accept: ['{"a": 1}', '{"a": 1, "b": [1, 2]}', '{"a": 1, "b": [], "c": {"x": [true, null]}}', '{"a": 1, "c": {}}'],
                reject: [
                    '{"a":1}',
                    '{ "a": 1}',
                    '{"a" : 1}',
                    '{"a": 1,"b": [1]}',
                    '{"a": 1, "b": [1,2]}',
                    '{"a": 1, "b": [ 1]}',
                    '{"a":  1}',
                    '{"a": 1, "c": {"x":1}}'
                ]
            })
        ).toEqual([]);
        // the default, so keys and separators are text the grammar forces (jump-forward)
        expect(compileSchemaGrammar({type: "object", properties: {a: {type: "integer"}}}).gbnf).toBe(
            compileSchemaGrammar({type: "object", properties: {a: {type: "integer"}}}, {spacing: "canonical"}).gbnf
        );
    });

    test("maxWhitespace 0 gives compact JSON only, and a larger one allows indentation", async () => {
        const compact = await harness.compile({type: "array", items: {type: "integer"}}, {maxWhitespace: 0});
        expect(compact.mismatches({accept: ["[1,2]", "[]"], reject: ["[1, 2]", "[ ]"]})).toEqual([]);
        const pretty = await harness.compile({type: "object", properties: {a: {type: "integer"}}}, {maxWhitespace: 3});
        expect(pretty.mismatches({accept: ['{\n  "a": 1\n}'], reject: ['{\n    "a": 1\n}']})).toEqual([]);
    });
});

describe("enum and const", () => {
    test("only the listed values, of any type", async () => {
        const g = await harness.compile({enum: ["positive", 'neg"ative', 3, null, {a: [1]}]});
        expect(
            g.mismatches({accept: ['"positive"', '"neg\\"ative"', "3", "null", '{"a":[1]}'], reject: ['"positiv"', '"Positive"', "4", '"neutral"']})
        ).toEqual([]);
        const c = await harness.compile({const: "yes"});
        expect(c.mismatches({accept: ['"yes"'], reject: ['"no"', '"yess"']})).toEqual([]);
    });

    test("enum values that contradict the other keywords are never produced", async () => {
        const g = await harness.compile({type: "string", enum: ["a", "bb", 1], maxLength: 1});
        expect(g.mismatches({accept: ['"a"'], reject: ['"bb"', "1"]})).toEqual([]);
    });
});

describe("objects", () => {
    const person = {
        type: "object",
        properties: {name: {type: "string"}, age: {type: "integer"}, email: {type: "string"}},
        required: ["name"],
        additionalProperties: false
    };

    test("required properties must appear, optional ones may, in schema order", async () => {
        const g = await harness.compile(person);
        expect(
            g.mismatches({
                accept: ['{"name":"Ann"}', '{"name":"Ann","age":3}', '{"name":"Ann","email":"a"}', '{"name":"Ann","age":3,"email":"a"}'],
                reject: ["{}", '{"age":3}', '{"name":"Ann","other":1}', '{"name":"Ann","name":"Bob"}', '{"name":"Ann",}', '{,"name":"Ann"}']
            })
        ).toEqual([]);
        // the documented order rule: properties come in schema order
        expect(g.check('{"age":3,"name":"Ann"}').status).toBe("rejected");
    });

    test("propertyOrder any: declared properties in any order, each once, the required ones present", async () => {
        const g = await harness.compile(person, {propertyOrder: "any"});
        expect(
            g.mismatches({
                accept: ['{"name":"Ann"}', '{"age":3,"name":"Ann"}', '{"email":"a","name":"Ann","age":3}'],
                reject: ["{}", '{"age":3}', '{"age":3,"name":"Ann","age":4}', '{"name":"Ann","name":"Bob"}', '{"email":"a","name":"Ann",}']
            })
        ).toEqual([]);
    });

    test("additionalProperties: a schema allows other keys with values of that schema, never a declared key twice", async () => {
        const g = await harness.compile({type: "object", properties: {id: {type: "integer"}}, required: ["id"], additionalProperties: {type: "boolean"}});
        expect(g.mismatches({accept: ['{"id":1}', '{"id":1,"x":true,"y":false}'], reject: ['{"id":1,"x":1}', '{"id":1,"id":true}']})).toEqual([]);
    });

    test("a free-form object (no properties) takes any keys and values; additionalProperties false none", async () => {
        const free = await harness.compile({type: "object"});
        expect(free.mismatches({accept: ["{}", '{"a":1,"b":[true,null]}'], reject: ["[]", '{"a"}']})).toEqual([]);
        const closed = await harness.compile({type: "object", additionalProperties: false});
        expect(closed.mismatches({accept: ["{}"], reject: ['{"a":1}']})).toEqual([]);
    });

    test("patternProperties: keys match the pattern, values its schema", async () => {
        const g = await harness.compile({type: "object", patternProperties: {"^x-[a-z]+$": {type: "integer"}}, additionalProperties: false});
        expect(g.mismatches({accept: ["{}", '{"x-a":1,"x-bc":2}'], reject: ['{"y":1}', '{"x-a":"1"}', '{"x-":1}']})).toEqual([]);
    });

    test("minProperties and maxProperties", async () => {
        const g = await harness.compile({
            type: "object",
            properties: {a: {type: "integer"}, b: {type: "integer"}, c: {type: "integer"}},
            minProperties: 1,
            maxProperties: 2
        });
        expect(g.mismatches({accept: ['{"a":1}', '{"a":1,"b":2}'], reject: ["{}", '{"a":1,"b":2,"c":3}']})).toEqual([]);
    });

    test("dependentRequired and draft-07 dependencies: the dependents are produced", async () => {
        const g = await harness.compile({
            $schema: "https://json-schema.org/draft/2020-12/schema",
            type: "object",
            properties: {card: {type: "string"}, address: {type: "string"}},
            dependentRequired: {card: ["address"]},
            additionalProperties: false
        });
        expect(g.mismatches({accept: ['{"address":"x"}', '{"card":"1","address":"x"}'], reject: ['{"card":"1"}']})).toEqual([]);
        expect(g.compiled.enforced).toContain("/dependentRequired");
        const draft7 = await harness.compile({
            type: "object",
            properties: {card: {type: "string"}, address: {type: "string"}},
            dependencies: {card: ["address"]},
            additionalProperties: false
        });
        expect(draft7.mismatches({accept: ['{"card":"1","address":"x"}'], reject: ['{"card":"1"}']})).toEqual([]);
        expect(draft7.compiled.enforced).toContain("/dependencies");
    });

    test("propertyNames filters declared keys", async () => {
        const g = await harness.compile({type: "object", properties: {ok: {type: "integer"}, NotOk: {type: "integer"}}, propertyNames: {pattern: "^[a-z]+$"}});
        expect(g.mismatches({accept: ['{"ok":1}', "{}"], reject: ['{"ok":1,"NotOk":2}']})).toEqual([]);
    });
});

describe("arrays", () => {
    test("items, minItems and maxItems", async () => {
        const g = await harness.compile({type: "array", items: {type: "integer", minimum: 0}, minItems: 1, maxItems: 3});
        expect(g.mismatches({accept: ["[0]", "[1,2,3]", "[ 1 , 2 ]"], reject: ["[]", "[1,2,3,4]", "[-1]", "[1,]", '["a"]']})).toEqual([]);
    });

    test("prefixItems (2020-12) with items false, and draft-07 tuple items with additionalItems", async () => {
        const tuple = await harness.compile({
            $schema: "https://json-schema.org/draft/2020-12/schema",
            type: "array",
            prefixItems: [{type: "string"}, {type: "integer"}],
            items: false
        });
        expect(tuple.mismatches({accept: ["[]", '["a"]', '["a",1]'], reject: ["[1]", '["a",1,2]', '["a","b"]']})).toEqual([]);
        const old = await harness.compile({type: "array", items: [{const: "x"}], additionalItems: {type: "boolean"}, minItems: 2});
        expect(old.mismatches({accept: ['["x",true]', '["x",true,false]'], reject: ['["x"]', '["y",true]', '["x",1]']})).toEqual([]);
    });

    test("contains: the first item satisfies it", async () => {
        const g = await harness.compile({type: "array", items: {type: "integer"}, contains: {const: 7}});
        expect(g.mismatches({accept: ["[7]", "[7,1]"], reject: ["[]", "[1]"]})).toEqual([]);
    });

    test("uniqueItems is reported as validated only", async () => {
        const g = await harness.compile({type: "array", items: {type: "string"}, uniqueItems: true});
        expect(g.compiled.validatedOnly).toEqual(["/uniqueItems"]);
        expect(g.compiled.reasons["/uniqueItems"]).toMatch(/grammar cannot/u);
    });
});
