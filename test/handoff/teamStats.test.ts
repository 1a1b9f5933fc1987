import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {handoffStats} from "../../src/handoff/handoffStats.js";
import type {HandoffStats} from "../../src/handoff/handoffStats.js";
import {type ReviewedRow, writeReviewSet} from "../../src/handoff/reviewStore.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {jobFixture, runCli} from "../support/fixtures.js";
import {comparisonFile, tempDir, writeRun} from "./helpers.js";

const LABELS = ["positive", "negative", "neutral"];
const [P, N, U] = LABELS as [string, string, string];

// Each row names the label each model's answer becomes: the runs are real (the generated model answers every row
// under the --choices grammar), and a parse() hook replaces the answer with the row's m1/m2 column, so every figure
// below is known in advance. m2's validate() hook rejects row 9, which fails.
const M1 = [P, N, U, P, N, N, U, N, P, U];
const M2 = [P, U, U, N, P, P, N, N, N, null];
const rows = M1.map((m1, idx) => ({text: `review ${idx}`, m1, m2: M2[idx]}));

/**
 * Review set "team": three annotators; ann2 skipped row 6 and rejected row 8 (null), ann3 skipped row 2; row 3 split
 * three ways (a tie: no value). The reviewed value is the majority.
 */
const GOLD = [P, N, U, null, N, P, U, N, P, U];
const TEAM: ReviewedRow[] = [
    [P, P, P],
    [N, N, U],
    [U, U, undefined],
    [P, N, U],
    [N, N, N],
    [P, P, N],
    [U, undefined, U],
    [N, N, N],
    [P, null, P],
    [U, U, U]
].map(([ann1, ann2, ann3], idx) => {
    const values = Object.fromEntries(Object.entries({ann1, ann2, ann3}).filter(([, value]) => value !== undefined));
    const tie = idx === 3;
    return {
        idx,
        value: tie ? null : GOLD[idx],
        decision: tie ? "tie" : "accept",
        reviews: Object.keys(values).length,
        annotators: Object.keys(values),
        values,
        ...(tie ? {tie: true} : {})
    };
});

/** Review set "pair": two annotators; row 1 split 1-1 (a tie), bob skipped row 7 and alice row 8, both rejected row 9. */
const PAIR: ReviewedRow[] = [
    {idx: 0, value: P, decision: "accept", reviews: 2, annotators: ["alice", "bob"], values: {alice: P, bob: P}},
    {idx: 1, value: null, decision: "tie", reviews: 2, annotators: ["alice", "bob"], values: {alice: N, bob: P}, tie: true},
    {idx: 2, value: U, decision: "accept", reviews: 2, annotators: ["alice", "bob"], values: {alice: U, bob: U}},
    {idx: 4, value: N, decision: "accept", reviews: 2, annotators: ["alice", "bob"], values: {alice: N, bob: N}},
    {idx: 7, value: P, decision: "accept", reviews: 1, annotators: ["alice"], values: {alice: P}},
    {idx: 8, value: N, decision: "accept", reviews: 1, annotators: ["bob"], values: {bob: N}},
    {idx: 9, value: null, decision: "reject", reviews: 2, annotators: ["alice", "bob"], values: {alice: null, bob: null}}
];

let compare: string;
let stats: HandoffStats;
beforeAll(async () => {
    const {model, dir, input} = await jobFixture(rows);
    compare = path.join(dir, "compare");
    for (const id of ["m1", "m2"]) {
        const hooks = path.join(dir, `${id}.mjs`);
        fs.writeFileSync(hooks, `export const validate = (row) => row.${id} !== null || "no label for ${id}";\nexport const parse = (row) => row.${id};\n`);
        const result = await annotate({
            input,
            model,
            output: path.join(compare, "models", id),
            template: "Sentiment of: {text}",
            choices: LABELS,
            hooks,
            maxTokens: 24,
            retriesInvalid: 0
        });
        expect(result).toMatchObject({totalRows: 10, complete: true});
    }
    fs.writeFileSync(
        path.join(compare, "compare.json"),
        JSON.stringify(
            comparisonFile(
                [
                    {id: "m1", model},
                    {id: "m2", model}
                ].map((m) => ({...m, model: path.basename(m.model)}))
            )
        )
    );
    const base = {source: "hand-made", from: "jsonl" as const, field: "label", kind: "label" as const, importedAt: "2026-11-24T00:00:00.000Z"};
    await writeReviewSet(compare, {...base, name: "team", rows: TEAM.length, labelled: 9}, TEAM);
    await writeReviewSet(compare, {...base, name: "pair", rows: PAIR.length, labelled: 5}, PAIR);
    stats = await handoffStats({dir: compare, choices: LABELS});
}, 120_000);

/** A full confusion matrix over the three labels from its non-zero cells ("row>column": count). */
function counts(cells: Record<string, number>): Record<string, Record<string, number>> {
    const all = Object.fromEntries(LABELS.map((row) => [row, Object.fromEntries(LABELS.map((column) => [column, 0]))]));
    for (const [cell, count] of Object.entries(cells)) {
        const [row, column] = cell.split(">") as [string, string];
        all[row]![column] = count;
    }
    return all;
}

describe("team statistics over real runs (annotate with the generated model) and stored review sets", () => {
    test("the models' answers are the hooks' labels; the models agree on 3 of 9 rows", () => {
        expect(stats.models.map((m) => [m.id, m.valid, m.failed, m.distribution])).toEqual([
            ["m1", 10, 0, {negative: 4, neutral: 3, positive: 3}],
            ["m2", 9, 1, {negative: 4, neutral: 2, positive: 3}]
        ]);
        // rows 0-8: same on 0, 2, 7; m1 marginals P3 N4 U2, m2 P3 N4 U2: pe 29/81, kappa (27/81 - 29/81) / (52/81) = -1/26
        expect(stats.pairs[0]).toMatchObject({a: "m1", b: "m2", n: 9});
        expect(stats.pairs[0]!.agreement).toBeCloseTo(1 / 3, 12);
        expect(stats.pairs[0]!.kappa).toBeCloseTo(-1 / 26, 12);
    });

    test("each model against the gold set: ties and rows without a value are left out and counted; a confusion matrix per model", () => {
        const [pair, team] = stats.reviews;
        expect(team).toMatchObject({name: "team", rows: 10, labelled: 9, ties: 1, unlabelled: 0, distribution: {negative: 3, neutral: 3, positive: 3}});
        // team gold (row 3 left out): m1 wrong on row 5 only: 8/9; marginals m1 P2 N4 U3, gold P3 N3 U3: pe 27/81, kappa (8/9 - 1/3) / (2/3) = 5/6
        const [m1, m2] = team!.models;
        expect(m1).toMatchObject({a: "m1", b: "team", n: 9, failed: 0});
        expect(m1!.agreement).toBeCloseTo(8 / 9, 12);
        expect(m1!.kappa).toBeCloseTo(5 / 6, 12);
        expect(m1!.confusion).toEqual({
            rows: "m1",
            columns: "team",
            labels: LABELS,
            counts: counts({"positive>positive": 2, "negative>positive": 1, "negative>negative": 3, "neutral>neutral": 3})
        });
        // m2 failed row 9 (counted in failed, not in n); right on rows 0, 2, 5, 7 of 8: 1/2; m2 P3 N3 U2, gold P3 N3 U2: pe 22/64, kappa (1/2 - 11/32) / (21/32) = 5/21
        expect(m2).toMatchObject({a: "m2", b: "team", n: 8, failed: 1, agreement: 0.5});
        expect(m2!.kappa).toBeCloseTo(5 / 21, 12);
        expect(m2!.confusion!.counts).toEqual(
            counts({
                "positive>positive": 2,
                "positive>negative": 1,
                "negative>positive": 1,
                "negative>negative": 1,
                "negative>neutral": 1,
                "neutral>negative": 1,
                "neutral>neutral": 1
            })
        );

        // pair gold: rows 0 P, 2 U, 4 N, 7 P, 8 N (row 1 a tie, row 9 rejected by both): each model right on 3 of 5;
        // marginals P2 N2 U1 against P2 N2 U1: pe 9/25, kappa (3/5 - 9/25) / (16/25) = 3/8
        expect(pair).toMatchObject({name: "pair", rows: 7, labelled: 5, ties: 1, unlabelled: 1});
        for (const model of pair!.models) {
            expect(model).toMatchObject({n: 5, agreement: 0.6, failed: 0});
            expect(model.kappa).toBeCloseTo(3 / 8, 12);
        }
        expect(pair!.models[0]!.confusion!.counts).toEqual(
            counts({"positive>positive": 1, "positive>negative": 1, "negative>positive": 1, "negative>negative": 1, "neutral>neutral": 1})
        );
    });

    test("three annotators with missing values and a tie: Cohen's kappa per pair, Fleiss' kappa, Krippendorff's alpha", () => {
        const team = stats.reviews[1]!.team!;
        expect(team).toMatchObject({rows: 10, overlap: 10, disagreements: 3, ties: 1});
        expect(team.annotators).toEqual([
            {id: "ann1", rows: 10, labelled: 10},
            {id: "ann2", rows: 9, labelled: 8},
            {id: "ann3", rows: 9, labelled: 9}
        ]);
        // ann1 ~ ann2 on rows 0-5, 7, 9 (8): differ on row 3; ann1 P3 N3 U2, ann2 P2 N4 U2: pe 22/64, kappa (7/8 - 11/32) / (21/32) = 17/21
        // ann1 ~ ann3 on rows 0, 1, 3-9 (9): differ on 1, 3, 5; ann1 P4 N3 U2, ann3 P2 N3 U4: pe 25/81, kappa (54 - 25) / (81 - 25) = 29/56
        // ann2 ~ ann3 on rows 0, 1, 3, 4, 5, 7, 9 (7): differ on 1, 3, 5; ann2 P2 N4 U1, ann3 P1 N3 U3: pe 17/49, kappa (28 - 17) / (49 - 17) = 11/32
        const expected = [
            ["ann1", "ann2", 8, 7 / 8, 17 / 21],
            ["ann1", "ann3", 9, 6 / 9, 29 / 56],
            ["ann2", "ann3", 7, 4 / 7, 11 / 32]
        ] as const;
        for (const [i, [a, b, n, agreement, kappa]] of expected.entries()) {
            expect(team.pairs[i]).toMatchObject({a, b, n});
            expect(team.pairs[i]!.agreement).toBeCloseTo(agreement, 12);
            expect(team.pairs[i]!.kappa).toBeCloseTo(kappa, 12);
        }
        expect(team.pairs.map((pair) => pair.confusion!.counts)).toEqual([
            counts({"positive>positive": 2, "positive>negative": 1, "negative>negative": 3, "neutral>neutral": 2}),
            counts({
                "positive>positive": 2,
                "positive>negative": 1,
                "positive>neutral": 1,
                "negative>negative": 2,
                "negative>neutral": 1,
                "neutral>neutral": 2
            }),
            counts({"positive>positive": 1, "positive>negative": 1, "negative>negative": 2, "negative>neutral": 2, "neutral>neutral": 1})
        ]);
        // Fleiss, each row with its own number of ratings: P_i = 1 for rows 0, 2, 4, 6, 7, 8, 9, 1/3 for rows 1 and 5 (two
        // of three agree), 0 for row 3: P̄ = (7 + 2/3) / 10 = 23/30; 27 ratings P8 N10 U9: Pe = (64 + 100 + 81) / 729 = 245/729
        expect(team.fleiss).toMatchObject({items: 10, ratings: 27});
        expect(team.fleiss!.kappa).toBeCloseTo((23 / 30 - 245 / 729) / (1 - 245 / 729), 12);
        // Krippendorff nominal: n 27; disagreeing coincidences: row 1 (N N U) 4/2, row 3 (P N U) 6/2, row 5 (P P N) 4/2 = 7;
        // Σ n_c n_k over c≠k = 27² - 245 = 484: alpha = 1 - 26·7/484 = 151/242
        expect(team.alpha).toMatchObject({metric: "nominal", units: 10, values: 27});
        expect(team.alpha.alpha).toBeCloseTo(151 / 242, 12);
    });

    test("two annotators: one pair; the 1-1 tie counts, rows with one value or none do not", () => {
        const team = stats.reviews[0]!.team!;
        expect(team).toMatchObject({rows: 7, overlap: 4, disagreements: 1, ties: 1});
        expect(team.annotators).toEqual([
            {id: "alice", rows: 6, labelled: 5},
            {id: "bob", rows: 6, labelled: 5}
        ]);
        // rows 0, 1, 2, 4: alice P N U N, bob P P U N; differ on row 1; alice P1 N2 U1, bob P2 N1 U1: pe 5/16, kappa (12 - 5) / (16 - 5) = 7/11
        expect(team.pairs).toHaveLength(1);
        expect(team.pairs[0]).toMatchObject({a: "alice", b: "bob", n: 4, agreement: 0.75});
        expect(team.pairs[0]!.kappa).toBeCloseTo(7 / 11, 12);
        // Fleiss: P_i 1, 0, 1, 1 -> P̄ 3/4; 8 ratings P3 N3 U2: Pe 22/64, kappa (3/4 - 11/32) / (21/32) = 13/21
        expect(team.fleiss).toMatchObject({items: 4, ratings: 8});
        expect(team.fleiss!.kappa).toBeCloseTo(13 / 21, 12);
        // Krippendorff: n 8, row 1 gives 2 disagreeing coincidences; Σ n_c n_k over c≠k = 64 - 22 = 42: 1 - 7·2/42 = 2/3
        expect(team.alpha).toMatchObject({metric: "nominal", units: 4, values: 8});
        expect(team.alpha.alpha).toBeCloseTo(2 / 3, 12);
    });

    test("the rows to settle: annotators split or tie, or a model differs from the reviewed value", () => {
        expect(stats.reviews[1]!.disagreements).toEqual([
            {idx: 1, value: N, tie: false, annotatorsDisagree: true, modelsDisagree: ["m2"], values: {ann1: N, ann2: N, ann3: U}, answers: {m1: N, m2: U}},
            // a tie has no reviewed value: no model is wrong on it
            {idx: 3, value: null, tie: true, annotatorsDisagree: true, modelsDisagree: [], values: {ann1: P, ann2: N, ann3: U}, answers: {m1: P, m2: N}},
            {idx: 4, value: N, tie: false, annotatorsDisagree: false, modelsDisagree: ["m2"], values: {ann1: N, ann2: N, ann3: N}, answers: {m1: N, m2: P}},
            {idx: 5, value: P, tie: false, annotatorsDisagree: true, modelsDisagree: ["m1"], values: {ann1: P, ann2: P, ann3: N}, answers: {m1: N, m2: P}},
            {idx: 6, value: U, tie: false, annotatorsDisagree: false, modelsDisagree: ["m2"], values: {ann1: U, ann3: U}, answers: {m1: U, m2: N}},
            {idx: 8, value: P, tie: false, annotatorsDisagree: false, modelsDisagree: ["m2"], values: {ann1: P, ann2: null, ann3: P}, answers: {m1: P, m2: N}}
        ]);
        // row 9: m2 failed it (answer null) and the annotators agree: nothing to settle
        expect(stats.reviews[0]!.disagreements.map((row) => [row.idx, row.tie, row.modelsDisagree])).toEqual([
            [1, true, []],
            [4, false, ["m2"]],
            [7, false, ["m1", "m2"]],
            [8, false, ["m1"]]
        ]);
    });
});

describe("airlabel stats prints the team sections", () => {
    test("text: accuracy with ties left out, confusion matrices, annotator agreement, the rows to settle; --json holds them all", async () => {
        const result = await runCli(["stats", compare, "--choices", LABELS.join(",")]);
        expect(result.code, result.stderr).toBe(0);
        const expected = [
            `team: 10 rows reviewed, 9 with a value (negative 3, neutral 3, positive 3); 1 tie left out of the accuracy
vs team  n  accuracy  kappa
m1       9  0.889     0.833
m2       8  0.500     0.238

m1 \\ team  positive  negative  neutral
positive   2         0         0
negative   1         3         0
neutral    0         0         3
`,
            `team: 3 annotators (ann1 10 values, ann2 8, ann3 9) on 10 rows; 10 with two values or more, 3 where they disagree, 1 tie
Fleiss' kappa 0.649 (10 rows), Krippendorff's alpha (nominal) 0.624 (27 values)
annotators   n  agreement  kappa
ann1 ~ ann2  8  0.875      0.810
ann1 ~ ann3  9  0.667      0.518
ann2 ~ ann3  7  0.571      0.344

ann1 \\ ann2  positive  negative  neutral
positive     2         1         0
negative     0         3         0
neutral      0         0         2
`,
            `team: 6 rows to settle (3 where the annotators disagree or tie, 5 where a model differs from the reviewed value)
idx  team      ann1      ann2      ann3      m1        m2        disagree
1    negative  negative  negative  neutral   negative  neutral   annotators, m2
3    tie       positive  negative  neutral   positive  negative  tie
4    negative  negative  negative  negative  negative  positive  m2
5    positive  positive  positive  negative  negative  positive  annotators, m1
6    neutral   neutral             neutral   neutral   negative  m2
8    positive  positive  -         positive  positive  negative  m2
`,
            `pair: 7 rows reviewed, 5 with a value (negative 2, positive 2, neutral 1); 1 tie and 1 without a value left out of the accuracy`,
            `pair: 2 annotators (alice 5 values, bob 5) on 7 rows; 4 with two values or more, 1 where they disagree, 1 tie
Fleiss' kappa 0.619 (4 rows), Krippendorff's alpha (nominal) 0.667 (8 values)
annotators   n  agreement  kappa
alice ~ bob  4  0.750      0.636
`
        ];
        for (const block of expected) expect(result.stdout).toContain(block);

        const json = await runCli(["stats", compare, "--json"]);
        expect(json.code, json.stderr).toBe(0);
        const parsed = JSON.parse(json.stdout) as HandoffStats;
        // the same figures as the library's (the labels read from the run's manifest this time)
        expect(parsed.reviews).toEqual(JSON.parse(JSON.stringify(stats.reviews)));
    });

    test("text lists the first 20 rows to settle and counts the rest; --json lists all", async () => {
        const dir = await writeRun(
            path.join(tempDir(), "run"),
            Array.from({length: 25}, (_, idx) => ({idx, columns: {text: `t${idx}`}, answer: {label: P}}))
        );
        const reviewed = Array.from({length: 25}, (_, idx) => ({idx, value: N, decision: "accept", reviews: 1}));
        await writeReviewSet(
            dir,
            {name: "gold", source: "hand-made", from: "jsonl", field: "label", kind: "label", rows: 25, labelled: 25, importedAt: "2026-11-24T00:00:00.000Z"},
            reviewed
        );
        const text = await runCli(["stats", dir, "--choices", LABELS.join(",")]);
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toContain(
            "gold: 25 rows to settle (0 where the annotators disagree or tie, 25 where a model differs from the reviewed value)\nidx  gold      tiny      disagree\n0    negative  positive  tiny\n"
        );
        expect(text.stdout).toContain("\n19   negative  positive  tiny\n... and 5 more (airlabel stats --json lists them all)\n");
        expect(text.stdout).not.toContain("\n20   negative");
        const json = JSON.parse((await runCli(["stats", dir, "--json"])).stdout) as HandoffStats;
        expect(json.reviews[0]!.disagreements.map((row) => row.idx)).toEqual(reviewed.map((row) => row.idx));
        expect(json.reviews[0]!.team).toBeNull();
        expect(json.reviews[0]!.models[0]).toMatchObject({n: 25, agreement: 0, failed: 0});
    });
});

describe("team statistics on a scale", () => {
    test("ratings: Cohen's kappa and MAD per pair, Fleiss' kappa on the values as labels, Krippendorff's alpha interval; no confusion matrix", async () => {
        const dir = await writeRun(
            path.join(tempDir(), "scores"),
            [3, 1, 5, 0].map((score, idx) => ({idx, columns: {text: `t${idx}`}, answer: {score}}))
        );
        const schema = {type: "object", properties: {score: {type: "integer", minimum: 0, maximum: 7}}};
        const rated: ReviewedRow[] = [
            {idx: 0, value: 3, decision: "labelled", reviews: 2, values: {x: 3, y: 3}},
            {idx: 1, value: null, decision: "tie", reviews: 2, values: {x: 1, y: 2}, tie: true},
            {idx: 2, value: 5, decision: "labelled", reviews: 1, values: {x: 5}},
            {idx: 3, value: null, decision: "tie", reviews: 2, values: {x: 0, y: 2}, tie: true}
        ];
        await writeReviewSet(
            dir,
            {name: "scores", source: "hand-made", from: "jsonl", field: "score", kind: "rating", rows: 4, labelled: 2, importedAt: "2026-11-24T00:00:00.000Z"},
            rated
        );
        const review = (await handoffStats({dir, schema})).reviews[0]!;
        // the model is right on both rows with a value (0 and 2); the two ties are left out
        expect(review.models[0]).toMatchObject({n: 2, agreement: 1, mad: 0, failed: 0});
        expect(review).toMatchObject({labelled: 2, ties: 2, unlabelled: 0});
        const team = review.team!;
        // rows 0, 1, 3: x 3 1 0, y 3 2 2: agreement 1/3, MAD (0 + 1 + 2) / 3 = 1; pe = 1/9 (only 3 in common): kappa (1/3 - 1/9) / (8/9) = 1/4
        expect(team.pairs).toHaveLength(1);
        expect(team.pairs[0]).toMatchObject({a: "x", b: "y", n: 3, mad: 1});
        expect(team.pairs[0]!.agreement).toBeCloseTo(1 / 3, 12);
        expect(team.pairs[0]!.kappa).toBeCloseTo(1 / 4, 12);
        expect(team.pairs[0]!.confusion).toBeUndefined();
        // Fleiss: P_i 1, 0, 0 -> P̄ 1/3; ratings 3:2 1:1 2:2 0:1 of 6: Pe 10/36, kappa (12/36 - 10/36) / (26/36) = 1/13
        expect(team.fleiss!.kappa).toBeCloseTo(1 / 13, 12);
        // Krippendorff interval: n 6; observed 2·1²/1 + 2·2²/1 = 10; expected 2·(2·1·4 + 2·2·1 + 2·1·9 + 1·2·1 + 1·1·1 + 2·1·4) = 82:
        // alpha = 1 - 5·10/82 = 16/41
        expect(team.alpha).toMatchObject({metric: "interval", units: 3, values: 6});
        expect(team.alpha.alpha).toBeCloseTo(16 / 41, 12);
    });
});
