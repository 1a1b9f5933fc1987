import {describe, expect, test} from "vitest";
import {InvalidOptionError} from "../../src/AirlabelError.js";
import {oneOf, optionalNonNegativeInteger, optionalPositiveInteger} from "../../src/options/checkOption.js";

// The shared checks behind validateAnnotateOptions, validateBackendOptions and validatePlacementOptions:
// one message shape for every option they check.
describe("shared option checks", () => {
    test("oneOf: the value, the fallback when unset, one exact message otherwise", () => {
        expect(oneOf("sort", "none", ["shortest", "longest", "none"], "longest")).toBe("none");
        expect(oneOf("sort", undefined, ["shortest", "longest", "none"], "longest")).toBe("longest");
        expect(oneOf("splitMode", undefined, ["none", "layer", "row"])).toBeUndefined();
        for (const bad of ["LONGEST", "", 1, null, ["none"]])
            expect(() => oneOf("sort", bad, ["shortest", "longest", "none"], "longest")).toThrow(
                new InvalidOptionError("options.sort must be one of shortest, longest, none")
            );
        expect(() => oneOf("sort", "x", ["a"])).toThrow(InvalidOptionError);
    });

    test("optional integers: unset or in range passes through; anything else names the option", () => {
        expect(optionalPositiveInteger("parallel", undefined)).toBeUndefined();
        expect(optionalPositiveInteger("parallel", 3)).toBe(3);
        expect(optionalNonNegativeInteger("seed", 0)).toBe(0);
        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "2", null])
            expect(() => optionalPositiveInteger("parallel", bad)).toThrow(new InvalidOptionError("options.parallel must be a positive integer"));
        for (const bad of [-1, 0.5, "0", null])
            expect(() => optionalNonNegativeInteger("seed", bad)).toThrow(new InvalidOptionError("options.seed must be a non-negative integer"));
    });
});
