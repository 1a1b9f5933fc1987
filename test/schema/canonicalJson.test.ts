import {describe, expect, test} from "vitest";
import {canonicalJson} from "../../src/canonicalJson.js";

// One canonical JSON for the schema grammar's enum/const checks and the handoff's answer keys and hashes.
describe("canonicalJson", () => {
    test("equal values give equal text whatever their key order, at every level", () => {
        const a = canonicalJson({b: [1, {y: 2, x: "é"}], a: null, c: {z: true, a: 1.5}});
        const b = canonicalJson({c: {a: 1.5, z: true}, a: null, b: [1, {x: "é", y: 2}]});
        expect(a).toBe(b);
        expect(a).toBe('{"a":null,"b":[1,{"x":"é","y":2}],"c":{"a":1.5,"z":true}}');
        expect(JSON.parse(a)).toEqual({a: null, b: [1, {x: "é", y: 2}], c: {z: true, a: 1.5}});
        expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    });

    test("undefined members are left out, undefined elsewhere is null (valid JSON always)", () => {
        expect(canonicalJson({b: undefined, a: 1})).toBe('{"a":1}');
        expect(canonicalJson([undefined, 1])).toBe("[null,1]");
        expect(canonicalJson(undefined)).toBe("null");
    });
});
