import {expect, test} from "vitest";
import {AnswerSchema} from "../../src/schema/AnswerSchema.js";

test("a pattern with nested quantifiers cannot hang validation (linear-time engine)", () => {
    // V8's backtracking RegExp needs about 2^40 steps for this answer; RE2 answers at once
    const schema = AnswerSchema.fromJsonSchema({type: "object", properties: {slug: {type: "string", pattern: "^(?:[A-Za-z0-9]+-?)+[A-Za-z0-9]$"}}}, "test");
    const check = schema.check(JSON.stringify({slug: `${"a".repeat(40)}_`}));
    expect(check).toEqual({ok: false, reason: expect.stringContaining("/slug must match pattern") as unknown});
    expect(schema.check(JSON.stringify({slug: "abc-def-1"}))).toEqual({ok: true, value: {slug: "abc-def-1"}});
});

test("every pattern of a schema is checked with its own expression (draft-04 and 2020-12)", () => {
    for (const $schema of ["http://json-schema.org/draft-04/schema#", "https://json-schema.org/draft/2020-12/schema"]) {
        const schema = AnswerSchema.fromJsonSchema(
            {
                $schema,
                type: "object",
                properties: {name: {not: {pattern: "[^a-z ]"}}, code: {type: "string", pattern: "^[0-9]*$"}, tag: {type: "string", pattern: "^x-"}}
            },
            "test"
        );
        expect(schema.check(JSON.stringify({name: "ann lee", code: "500", tag: "x-1"})).ok, $schema).toBe(true);
        expect(schema.check(JSON.stringify({name: "ann lee", code: "5a", tag: "x-1"})).ok, $schema).toBe(false);
        expect(schema.check(JSON.stringify({name: "Ann", code: "5", tag: "x-1"})).ok, $schema).toBe(false);
        expect(schema.check(JSON.stringify({name: "ann", code: "5", tag: "y-1"})).ok, $schema).toBe(false);
    }
});

test("patterns RE2 cannot express (lookahead, backreferences) still validate, with JavaScript's engine", () => {
    const schema = AnswerSchema.fromJsonSchema({type: "string", pattern: "^(?=.*\\d)(\\w)\\1"}, "test");
    expect(schema.check(JSON.stringify("aa1")).ok).toBe(true);
    expect(schema.check(JSON.stringify("ab1")).ok).toBe(false);
    expect(schema.check(JSON.stringify("aab")).ok).toBe(false);
});

test("patternProperties use the same engine", () => {
    const schema = AnswerSchema.fromJsonSchema({type: "object", patternProperties: {"^x-(a+)+$": {type: "integer"}}}, "test");
    expect(schema.check(JSON.stringify({"x-aaa": 1})).ok).toBe(true);
    expect(schema.check(JSON.stringify({"x-aaa": "no"})).ok).toBe(false);
    expect(schema.check(JSON.stringify({[`x-${"a".repeat(40)}b`]: "anything"})).ok).toBe(true);
});
