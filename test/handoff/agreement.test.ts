import {describe, expect, test} from "vitest";
import {cohenKappa, meanAbsoluteDifference, percentAgreement} from "../../src/handoff/agreement.js";
import type {RatingPair} from "../../src/handoff/agreement.js";
import {murmurhash3} from "../../src/files/murmurhash3.js";
import {prodigyHashes} from "../../src/handoff/prodigyHashes.js";

/** Pairs from a confusion table: table[i][j] items rated labels[i] by the first rater and labels[j] by the second. */
function fromTable(labels: readonly string[], table: readonly (readonly number[])[]): RatingPair[] {
    const pairs: RatingPair[] = [];
    for (const [i, row] of table.entries()) {
        for (const [j, count] of row.entries()) {
            for (let k = 0; k < count; k++) pairs.push([labels[i], labels[j]]);
        }
    }
    return pairs;
}

describe("Cohen's kappa", () => {
    test("the textbook 2x2 table (50 items: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no) gives po 0.7, pe 0.5, kappa 0.4", () => {
        const pairs = fromTable(
            ["yes", "no"],
            [
                [20, 5],
                [10, 15]
            ]
        );
        expect(percentAgreement(pairs)).toBeCloseTo(0.7, 12);
        expect(cohenKappa(pairs)).toBeCloseTo(0.4, 12);
    });

    test("a 3-label table computed by hand: po 29/40, pe 540/1600, kappa 31/53", () => {
        // marginals: first rater 15/15/10, second 13/15/12 over 40 items
        const pairs = fromTable(
            ["pos", "neg", "neu"],
            [
                [10, 2, 3],
                [1, 12, 2],
                [2, 1, 7]
            ]
        );
        expect(percentAgreement(pairs)).toBe(29 / 40);
        expect(cohenKappa(pairs)).toBeCloseTo(31 / 53, 12);
    });

    test("perfect agreement is exactly 1, chance-level agreement exactly 0, systematic disagreement -1", () => {
        expect(
            cohenKappa([
                ["a", "a"],
                ["b", "b"],
                ["c", "c"],
                ["a", "a"]
            ])
        ).toBe(1);
        // po = 0.5 and pe = 0.5: what two independent raters agree on by chance
        expect(
            cohenKappa([
                ["x", "x"],
                ["x", "y"],
                ["y", "x"],
                ["y", "y"]
            ])
        ).toBe(0);
        expect(
            cohenKappa([
                ["x", "y"],
                ["y", "x"]
            ])
        ).toBe(-1);
    });

    test("undefined (null) with no items, or when both raters gave one same label everywhere (0/0)", () => {
        expect(cohenKappa([])).toBeNull();
        expect(
            cohenKappa([
                ["a", "a"],
                ["a", "a"]
            ])
        ).toBeNull();
        expect(
            percentAgreement([
                ["a", "a"],
                ["a", "a"]
            ])
        ).toBe(1);
        expect(percentAgreement([])).toBeNull();
    });

    test('labels are compared as values: true and "true" differ, objects match whatever their key order', () => {
        expect(
            percentAgreement([
                [true, "true"],
                [
                    {a: 1, b: 2},
                    {b: 2, a: 1}
                ]
            ])
        ).toBe(0.5);
    });
});

describe("mean absolute difference", () => {
    test("averages |a - b| over the pairs where both are numbers", () => {
        expect(
            meanAbsoluteDifference([
                [1, 3],
                [7, 4],
                [5, 5],
                ["x", 2]
            ])
        ).toBeCloseTo(5 / 3, 12);
        expect(meanAbsoluteDifference([["x", "y"]])).toBeNull();
    });
});

describe("Prodigy hashes", () => {
    test('MurmurHash3 x86_32 gives the values of mmh3\'s README (hash("foo") = -156908512, seed 42: -1322301282)', () => {
        expect(murmurhash3("foo")).toBe(-156908512);
        expect(murmurhash3("foo", 42)).toBe(-1322301282);
        expect(murmurhash3("")).toBe(0);
        expect(murmurhash3("hello world")).toBe(1586663183);
    });

    test("equal inputs share _input_hash, a different question changes only _task_hash; meta and accept do not count", () => {
        const options = [
            {id: "a", text: "a"},
            {id: "b", text: "b"}
        ];
        const first = prodigyHashes({text: "same text", options, accept: ["a"], meta: {idx: 1}});
        const again = prodigyHashes({text: "same text", options, accept: ["b"], meta: {idx: 9}});
        const otherQuestion = prodigyHashes({text: "same text", label: "a"});
        const otherText = prodigyHashes({text: "other text", options});
        expect(again).toEqual(first);
        expect(otherQuestion._input_hash).toBe(first._input_hash);
        expect(otherQuestion._task_hash).not.toBe(first._task_hash);
        expect(otherText._input_hash).not.toBe(first._input_hash);
        for (const value of [first._input_hash, first._task_hash]) {
            expect(Number.isInteger(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(-(2 ** 31));
            expect(value).toBeLessThan(2 ** 31);
        }
    });
});
