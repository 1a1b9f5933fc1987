import {describe, expect, test} from "vitest";
import {useGrammarHarness} from "./grammarHarness.js";

const harness = useGrammarHarness();

describe("numeric ranges", () => {
    test("a decimal range such as 0..1 (the confidence field)", async () => {
        const g = await harness.compile({type: "number", minimum: 0, maximum: 1});
        expect(
            g.mismatches({
                accept: ["0", "1", "0.5", "0.999", "1.0", "1.000", "0.0001"],
                reject: ["-0.1", "-3.1", "1.5", "1.0001", "2", "10", "-1", "-0"]
            })
        ).toEqual([]);
        expect(g.compiled.enforced).toEqual(["/maximum", "/minimum", "/type"]);
    });

    test("exclusive bounds, number form (draft 6+) and boolean form (draft 4)", async () => {
        const g = await harness.compile({type: "number", exclusiveMinimum: 0, exclusiveMaximum: 2.5});
        expect(g.mismatches({accept: ["0.1", "2.49", "1", "0.00001"], reject: ["0", "0.0", "2.5", "2.50", "3", "-1"]})).toEqual([]);
        const draft4 = await harness.compile({
            $schema: "http://json-schema.org/draft-04/schema#",
            type: "number",
            minimum: -1.5,
            exclusiveMinimum: true,
            maximum: 0
        });
        expect(draft4.mismatches({accept: ["-1.49", "0", "-1", "-0.5"], reject: ["-1.5", "-2", "0.1"]})).toEqual([]);
    });

    test("integer ranges, including negative and multi-digit bounds", async () => {
        const g = await harness.compile({type: "integer", minimum: -25, maximum: 130});
        expect(
            g.mismatches({
                accept: ["-25", "-9", "0", "7", "99", "100", "129", "130"],
                reject: ["-26", "-100", "131", "200", "1000", "1.5", "-0"]
            })
        ).toEqual([]);
        const big = await harness.compile({type: "integer", minimum: 1000, exclusiveMaximum: 100000});
        expect(big.mismatches({accept: ["1000", "99999", "54321"], reject: ["999", "100000", "5"]})).toEqual([]);
    });

    test("integer bounds given as fractions round inward", async () => {
        const g = await harness.compile({type: "integer", minimum: 0.5, maximum: 3.7});
        expect(g.mismatches({accept: ["1", "3"], reject: ["0", "4"]})).toEqual([]);
    });

    test("contradictory bounds admit nothing", async () => {
        await expect(harness.compile({type: "integer", minimum: 5, maximum: 4})).rejects.toThrow(/no JSON value/u);
    });
});

describe("multipleOf", () => {
    test("small integer multipleOf over an unbounded range (remainder automaton)", async () => {
        const g = await harness.compile({type: "integer", multipleOf: 7});
        expect(g.mismatches({accept: ["0", "7", "-14", "700", "123456788"], reject: ["1", "8", "-15", "701"]})).toEqual([]);
        expect(g.compiled.enforced).toContain("/multipleOf");
    });

    test("multipleOf within a range lists the multiples", async () => {
        const g = await harness.compile({type: "integer", minimum: 0, maximum: 100, multipleOf: 25});
        expect(g.mismatches({accept: ["0", "25", "50", "100"], reject: ["5", "125", "-25"]})).toEqual([]);
    });

    test("a fractional multipleOf limits the fraction digits and is left to validation", async () => {
        const g = await harness.compile({type: "number", multipleOf: 0.01, minimum: 0, maximum: 10});
        expect(g.mismatches({accept: ["1", "2.5"], reject: ["2.555"]})).toEqual([]);
        expect(g.compiled.validatedOnly).toEqual(["/multipleOf"]);
    });

    test("int32 format bounds the integer", async () => {
        const g = await harness.compile({type: "integer", format: "int32"});
        expect(g.mismatches({accept: ["2147483647", "-2147483648"], reject: ["2147483648", "-2147483649"]})).toEqual([]);
    });
});
