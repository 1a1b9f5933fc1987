import {describe, expect, test} from "vitest";
import {JsonValueError, maxJsonDepth, parseJsonText} from "../../src/json/parseJsonText.js";
import {stringifyJson} from "../../src/json/stringifyJson.js";

describe("parseJsonText and stringifyJson keep every number", () => {
    test.each([
        '{"id":1234567890123456789}',
        '{"id":9007199254740993,"neg":-9007199254740993,"huge":123456789012345678901234567890}',
        '[1,2.5,-0.125,9007199254740991,"9007199254740993",{"a":[18446744073709551615]}]',
        '{"nested":{"deep":[[{"x":99999999999999999999}]]},"s":"1234567890123456789","e":1e+300}'
    ])("%s round-trips byte for byte", (text) => {
        expect(stringifyJson(parseJsonText(text))).toBe(text);
    });

    test("integers beyond 2^53 are bigints, safe ones numbers", () => {
        const value = parseJsonText('{"big":9007199254740993,"safe":9007199254740991,"long":1.2345678901234567}') as Record<string, unknown>;
        expect(value.big).toBe(9007199254740993n);
        expect(value.safe).toBe(9007199254740991);
        expect(value.long).toBe(1.2345678901234567);
    });

    test("a number beyond a 64-bit float is refused, naming it", () => {
        expect(() => parseJsonText('{"x":1e400}')).toThrow(JsonValueError);
        expect(() => parseJsonText('{"x":-1e400}')).toThrow("the number -1e400 is beyond the range of a 64-bit float");
        expect(parseJsonText('{"x":1e-400}')).toEqual({x: 0});
    });

    test("a duplicate key is refused, naming it; escaped spellings count", () => {
        expect(() => parseJsonText('{"a":1,"b":{"c":1,"c":2}}')).toThrow('duplicate key "c"');
        expect(() => parseJsonText('{"a":1,"\\u0061":2}')).toThrow('duplicate key "a"');
        expect(parseJsonText('{"a":"x:y","b":[{"a":1}]}')).toEqual({a: "x:y", b: [{a: 1}]});
    });

    test("__proto__ stays an ordinary key", () => {
        const value = parseJsonText('{"__proto__":{"polluted":1},"n":12345678901234567890}') as Record<string, unknown>;
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
        expect(Object.keys(value)).toEqual(["__proto__", "n"]);
        expect(stringifyJson(value)).toBe('{"__proto__":{"polluted":1},"n":12345678901234567890}');
    });

    test("nesting deeper than the limit is refused without a stack overflow", () => {
        for (const depth of [maxJsonDepth + 1, 5_000, 200_000]) {
            const text = "[".repeat(depth) + "]".repeat(depth);
            expect(() => parseJsonText(text)).toThrow(`nested ${depth} levels deep, more than the ${maxJsonDepth}`);
        }
        const ok = '{"a":'.repeat(maxJsonDepth - 1) + "[12345678901234567890]" + "}".repeat(maxJsonDepth - 1);
        expect(stringifyJson(parseJsonText(ok))).toBe(ok);
    });

    test("stringifyJson matches JSON.stringify for indentation, undefined, toJSON and non-finite numbers", () => {
        const value = {a: [1, undefined, NaN], b: undefined, c: {d: new Date(0)}, e: [], f: {}, g: "x"};
        for (const space of [undefined, 2, "\t"]) expect(stringifyJson({...value, big: 1n}, space)).toBe(JSON.stringify({...value, big: 1}, undefined, space));
    });
});
