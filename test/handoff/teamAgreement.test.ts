import {describe, expect, test} from "vitest";
import {confusionMatrix} from "../../src/handoff/confusionMatrix.js";
import {fleissKappa} from "../../src/handoff/fleissKappa.js";
import {krippendorffAlpha} from "../../src/handoff/krippendorffAlpha.js";

/** Items from a Fleiss table: table[i][j] raters put item i in category j. */
function itemsOf(table: readonly (readonly number[])[]): string[][] {
    return table.map((row) => row.flatMap((count, j) => Array.from({length: count}, () => `c${j + 1}`)));
}

describe("Fleiss' kappa", () => {
    test("the classic table (Fleiss 1971 as Wikipedia's 'Fleiss' kappa' worked example: 10 items, 14 raters, 5 categories) gives 0.210", () => {
        // https://en.wikipedia.org/wiki/Fleiss%27_kappa#Worked_example
        const table = [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7]
        ];
        // by hand: Σ_i Σ_j n_ij² = 196+60+70+94+74+98+58+46+66+66 = 828, so Σ_i P_i = (828 - 10·14) / (14·13) = 688/182
        // and P̄ = 688/1820 = 0.378; the column totals 20, 28, 39, 21, 32 of 140 give Pe = (20²+28²+39²+21²+32²)/140² = 4170/19600 = 0.213
        const observed = 688 / 1820;
        const expected = 4170 / 19600;
        const result = fleissKappa(itemsOf(table));
        expect(result).toMatchObject({items: 10, ratings: 140});
        expect(result.kappa).toBeCloseTo((observed - expected) / (1 - expected), 12);
        expect(result.kappa!.toFixed(3)).toBe("0.210");
    });

    test("items with fewer ratings count with their own n_i; an item with one rating is left out", () => {
        // P_i: aaa 1, ab 0, bbb 1 -> P̄ 2/3; ratings a 4, b 4 of 8 -> Pe 1/2; kappa (2/3 - 1/2) / (1/2) = 1/3
        const result = fleissKappa([["a", "a", "a"], ["a", "b"], ["b", "b", "b"], ["a"]]);
        expect(result).toMatchObject({items: 3, ratings: 8});
        expect(result.kappa).toBeCloseTo(1 / 3, 12);
    });

    test("undefined (null) with no item rated twice, or one label everywhere; perfect agreement on two labels is 1", () => {
        expect(fleissKappa([["a"], []])).toEqual({kappa: null, items: 0, ratings: 0});
        expect(
            fleissKappa([
                ["a", "a"],
                ["a", "a", "a"]
            ]).kappa
        ).toBeNull();
        expect(
            fleissKappa([
                ["a", "a"],
                ["b", "b", "b"]
            ]).kappa
        ).toBe(1);
    });
});

describe("Krippendorff's alpha", () => {
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units, values 1-5,
    // missing data (the same table as Wikipedia's "Krippendorff's alpha" example); the paper gives alpha 0.743 nominal
    // and 0.849 interval. Rows are the observers A-D, null where an observer gave no value.
    const observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
        [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null]
    ];
    const units = observers[0]!.map((_, u) => observers.map((row) => row[u]).filter((value) => value !== null));

    test("nominal: 1 - (n-1) Σ o_ck(c≠k) / Σ n_c n_k(c≠k) = 1 - 39·8/1216 = 0.743", () => {
        // by hand: unit 12 holds one value and is left out, n = 40 pairable values; n_1..n_5 = 9, 13, 10, 5, 3;
        // disagreeing coincidences: unit 2 (2,2,3,2) 6/3, unit 6 (1,2,3,4) 12/3, unit 8 (1,1,2,1) 6/3 = 8;
        // Σ n_c n_k over c≠k = 40² - (81+169+100+25+9) = 1216
        const result = krippendorffAlpha(units, "nominal");
        expect(result).toMatchObject({metric: "nominal", units: 11, values: 40});
        expect(result.alpha).toBeCloseTo(1 - (39 * 8) / 1216, 12);
        expect(result.alpha!.toFixed(3)).toBe("0.743");
    });

    test("interval: δ² = (c-k)², 1 - 39·(52/3)/4480 = 0.849", () => {
        // observed: unit 2 2·3·1²/3 = 2, unit 6 2·(1+4+9+1+4+1)/3 = 40/3, unit 8 2·3·1²/3 = 2: 52/3;
        // expected: Σ_{c≠k} n_c n_k (c-k)² = 2·(117+360+405+432+130+260+351+50+120+15) = 4480
        const result = krippendorffAlpha(units, "interval");
        expect(result).toMatchObject({metric: "interval", units: 11, values: 40});
        expect(result.alpha).toBeCloseTo(1 - (39 * 52) / 3 / 4480, 12);
        expect(result.alpha!.toFixed(3)).toBe("0.849");
    });

    test("undefined (null) with no pairable unit or a single value everywhere; interval leaves out what is not a number", () => {
        expect(krippendorffAlpha([[1], [], [2]], "nominal")).toEqual({metric: "nominal", alpha: null, units: 0, values: 0});
        expect(
            krippendorffAlpha(
                [
                    ["a", "a"],
                    ["a", "a"]
                ],
                "nominal"
            ).alpha
        ).toBeNull();
        expect(
            krippendorffAlpha(
                [
                    ["a", "a"],
                    ["b", "b"]
                ],
                "nominal"
            ).alpha
        ).toBe(1);
        // ["x", 3] keeps one number and is not pairable: units (1,1) and (2,3): n 4, observed 2·1/1 = 2,
        // n_1 2, n_2 1, n_3 1: expected 2·(2·1·1 + 2·1·4 + 1·1·1) = 22, alpha 1 - 3·2/22 = 8/11
        const result = krippendorffAlpha(
            [
                [1, 1],
                [2, 3],
                ["x", 3]
            ],
            "interval"
        );
        expect(result).toMatchObject({units: 2, values: 4});
        expect(result.alpha).toBeCloseTo(8 / 11, 12);
    });
});

describe("confusion matrix", () => {
    test("the field's labels first (zeros kept), then other labels given, sorted; values written as text", () => {
        const matrix = confusionMatrix(
            "model",
            "gold",
            [
                ["yes", "yes"],
                ["yes", "no"],
                ["maybe", "no"],
                [true, "yes"]
            ],
            ["yes", "no", "unsure"]
        );
        expect(matrix).toEqual({
            rows: "model",
            columns: "gold",
            labels: ["yes", "no", "unsure", "maybe", "true"],
            counts: {
                yes: {yes: 1, no: 1, unsure: 0, maybe: 0, true: 0},
                no: {yes: 0, no: 0, unsure: 0, maybe: 0, true: 0},
                unsure: {yes: 0, no: 0, unsure: 0, maybe: 0, true: 0},
                maybe: {yes: 0, no: 1, unsure: 0, maybe: 0, true: 0},
                true: {yes: 1, no: 0, unsure: 0, maybe: 0, true: 0}
            }
        });
    });
});
