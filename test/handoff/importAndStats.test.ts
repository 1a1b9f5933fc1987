import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {exportHandoff} from "../../src/handoff/exportHandoff.js";
import {handoffStats} from "../../src/handoff/handoffStats.js";
import {ReviewImportError, importReviews} from "../../src/handoff/importReviews.js";
import {ReviewStoreError, readReviewSets} from "../../src/handoff/reviewStore.js";
import type {ArgillaRecord} from "../../src/handoff/toArgilla.js";
import {readJsonl, tempDir, writeComparison, writeJsonl, writeRun} from "./helpers.js";
import type {TestRow} from "./helpers.js";

const LABELS = ["positive", "negative", "neutral"];

/** The 3-label table of agreement.test.ts, as two models' answers on 40 rows: kappa 31/53, agreement 29/40. */
function tableRows(): {a: TestRow[]; b: TestRow[]} {
    const table = [
        [10, 2, 3],
        [1, 12, 2],
        [2, 1, 7]
    ];
    const a: TestRow[] = [];
    const b: TestRow[] = [];
    let idx = 0;
    for (const [i, row] of table.entries()) {
        for (const [j, count] of row.entries()) {
            for (let k = 0; k < count; k++, idx++) {
                a.push({idx, columns: {text: `row ${idx}`}, answer: {label: LABELS[i]}});
                b.push({idx, columns: {text: `row ${idx}`}, answer: {label: LABELS[j]}});
            }
        }
    }
    return {a, b};
}

describe("importReviews + handoffStats on a single run", () => {
    let run: string;
    let tasksFile: string;
    beforeAll(async () => {
        run = await writeRun(path.join(tempDir(), "run"), [
            {idx: 2, columns: {text: "meh"}, answer: {label: "neutral"}},
            {idx: 0, columns: {text: "great"}, answer: {label: "positive"}},
            {idx: 1, columns: {text: "awful"}, answer: {label: "positive"}},
            {idx: 3, failed: "no valid JSON"},
            {idx: 4, columns: {text: "fine"}, answer: {label: "neutral"}}
        ]);
        tasksFile = (await exportHandoff({dir: run, to: "prodigy", choices: LABELS})).files[0]!;
    });

    test("a Prodigy db-out file (accept with edited choice, reject, ignore, two annotators) is stored by idx and compared", async () => {
        // what a reviewer does in Prodigy, as `prodigy db-out` writes it: answer + the accepted option ids
        const reviewed = readJsonl(tasksFile).flatMap((task) => {
            const idx = (task.meta as {idx: number}).idx;
            const base = {...task, _view_id: "choice", _timestamp: 1700000000 + idx, _annotator_id: "ds-alice", _session_id: "ds-alice"};
            if (idx === 0) return [{...base, answer: "accept"}];
            if (idx === 1)
                return [
                    {...base, accept: ["negative"], answer: "accept"},
                    {...base, accept: ["negative"], answer: "accept", _annotator_id: "ds-bob"}
                ];
            if (idx === 2) return [{...base, answer: "reject"}];
            return [{...base, answer: "ignore"}];
        });
        const file = writeJsonl(path.join(tempDir(), "reviewed.jsonl"), reviewed);
        const result = await importReviews({dir: run, file, choices: LABELS});
        expect(result.manifest).toMatchObject({name: "reviewed", from: "prodigy", field: "label", kind: "label", rows: 4, labelled: 2});
        expect(result.stored).toBe(path.resolve(run, "reviews", "reviewed.jsonl"));
        expect(readJsonl(result.stored)).toEqual([
            {idx: 0, value: "positive", decision: "accept", reviews: 1, annotators: ["ds-alice"], values: {"ds-alice": "positive"}},
            {
                idx: 1,
                value: "negative",
                decision: "accept",
                reviews: 2,
                annotators: ["ds-alice", "ds-bob"],
                values: {"ds-alice": "negative", "ds-bob": "negative"}
            },
            {idx: 2, value: null, decision: "reject", reviews: 1, annotators: ["ds-alice"], values: {"ds-alice": null}},
            {idx: 4, value: null, decision: "ignore", reviews: 1, annotators: ["ds-alice"], values: {"ds-alice": null}}
        ]);

        const stats = await handoffStats({dir: run, choices: LABELS});
        expect(stats.models).toEqual([{id: "tiny", model: "tiny.gguf", rows: 5, valid: 4, failed: 1, missing: 0, distribution: {neutral: 2, positive: 2}}]);
        expect(stats.pairs).toEqual([]);
        expect(stats.reviews).toEqual([
            {
                name: "reviewed",
                rows: 4,
                labelled: 2,
                ties: 0,
                // idx 2 rejected, idx 4 ignored: no value, left out of the accuracy
                unlabelled: 2,
                distribution: {negative: 1, positive: 1},
                // model said positive/positive, reviewers positive/negative: accuracy 1/2; kappa: po 0.5, pe 0.5 -> 0
                models: [
                    {
                        a: "tiny",
                        b: "reviewed",
                        n: 2,
                        agreement: 0.5,
                        kappa: 0,
                        failed: 0,
                        confusion: {
                            rows: "tiny",
                            columns: "reviewed",
                            labels: LABELS,
                            counts: {
                                positive: {positive: 1, negative: 1, neutral: 0},
                                negative: {positive: 0, negative: 0, neutral: 0},
                                neutral: {positive: 0, negative: 0, neutral: 0}
                            }
                        }
                    }
                ],
                // the file names the annotators but not each one's value: no team figures
                // the import keeps each annotator's value: both gave one on row 1 only (the same one)
                team: expect.objectContaining({
                    annotators: [expect.objectContaining({id: "ds-alice", rows: 4, labelled: 2}), expect.objectContaining({id: "ds-bob", labelled: 1})],
                    pairs: [expect.objectContaining({a: "ds-alice", b: "ds-bob", n: 1, agreement: 1, kappa: null})],
                    ties: 0
                }),
                disagreements: [
                    {
                        idx: 1,
                        value: "negative",
                        tie: false,
                        annotatorsDisagree: false,
                        modelsDisagree: ["tiny"],
                        answers: {tiny: "positive"},
                        values: {"ds-alice": "negative", "ds-bob": "negative"}
                    }
                ]
            }
        ]);
    });

    test("re-import under the same name replaces the set; a record without idx or with an unknown idx is a one-line error naming its line", async () => {
        const file = writeJsonl(path.join(tempDir(), "labels.jsonl"), [
            {idx: 4, value: "neutral"},
            {idx: 0, label: "negative"}
        ]);
        await importReviews({dir: run, file, as: "gold", choices: LABELS});
        const replaced = await importReviews({
            dir: run,
            file: writeJsonl(path.join(tempDir(), "labels2.jsonl"), [{idx: 1, label: "negative"}]),
            as: "gold",
            choices: LABELS
        });
        expect(replaced.manifest.rows).toBe(1);
        const sets = await readReviewSets(run);
        expect(sets.map((set) => [set.manifest.name, set.rows.map((row) => row.idx)])).toEqual([
            ["gold", [1]],
            ["reviewed", [0, 1, 2, 4]]
        ]);

        const noIdx = writeJsonl(path.join(tempDir(), "bad.jsonl"), [
            {meta: {idx: 0}, answer: "accept", options: [], accept: []},
            {meta: {}, answer: "accept", options: [], accept: []}
        ]);
        await expect(importReviews({dir: run, file: noIdx, choices: LABELS})).rejects.toThrow(
            new ReviewImportError(`${noIdx} line 2: no idx (looked in meta.idx); records exported by \`airlabel export\` carry it, keep it when editing`)
        );
        const unknown = writeJsonl(path.join(tempDir(), "unknown.jsonl"), [
            {idx: 0, value: "positive"},
            {idx: 99, value: "positive"}
        ]);
        await expect(importReviews({dir: run, file: unknown, choices: LABELS})).rejects.toThrow(
            new ReviewImportError(`${unknown} line 2: idx 99 is not a row of ${run}/ (it has 5 rows); import the file into the output dir it was exported from`)
        );
        // the failed imports left the stored sets as they were
        expect((await readReviewSets(run)).map((set) => set.rows.length)).toEqual([1, 4]);
    });

    test("a review set whose data no longer matches its manifest is refused", async () => {
        const dir = await writeRun(path.join(tempDir(), "tampered"), [
            {idx: 0, columns: {text: "x"}, answer: "a"},
            {idx: 1, columns: {text: "y"}, answer: "b"}
        ]);
        await importReviews({dir, file: writeJsonl(path.join(tempDir(), "r.jsonl"), [{idx: 0, value: "a"}])});
        fs.appendFileSync(path.join(dir, "reviews", "reviewed.jsonl"), '{"idx":1,"value":"b"}\n');
        await expect(handoffStats({dir})).rejects.toThrow(ReviewStoreError);
    });
});

describe("handoffStats on a comparison", () => {
    test("pairwise agreement and kappa match the hand-computed table; each model against Argilla reviews", async () => {
        const {a, b} = tableRows();
        // one more row that model a answered and model b failed: pairs are compared on the 40 rows both answered
        a.push({idx: 40, columns: {text: "row 40"}, answer: {label: "neutral"}});
        b.push({idx: 40, failed: "no valid JSON"});
        const dir = await writeComparison(path.join(tempDir(), "compare"), [
            {id: "a", model: "a.gguf", rows: a},
            {id: "b", model: "b.gguf", rows: b}
        ]);
        const stats = await handoffStats({dir, choices: LABELS});
        expect(stats.models.map((m) => [m.id, m.valid, m.failed])).toEqual([
            ["a", 41, 0],
            ["b", 40, 1]
        ]);
        expect(stats.pairs).toHaveLength(1);
        expect(stats.pairs[0]).toMatchObject({a: "a", b: "b", n: 40, agreement: 29 / 40});
        expect(stats.pairs[0]!.kappa).toBeCloseTo(31 / 53, 12);

        // reviewers (Argilla export: responses per question) agree with model a everywhere
        const records = JSON.parse(fs.readFileSync((await exportHandoff({dir, to: "argilla", choices: LABELS})).files[0]!, "utf8")) as ArgillaRecord[];
        const reviewed = records.map((record) => ({
            ...record,
            responses: {
                // model a's answer, shown as the field response_a
                label: [
                    {
                        value: (JSON.parse(record.fields.response_a!) as {label: string}).label,
                        user_id: "4b0e8e1c-0000-4000-8000-000000000001",
                        status: "submitted"
                    }
                ]
            }
        }));
        const file = path.join(tempDir(), "argilla-export.json");
        fs.writeFileSync(file, JSON.stringify(reviewed));
        const imported = await importReviews({dir, file, choices: LABELS});
        expect(imported.manifest).toMatchObject({from: "argilla", rows: 41, labelled: 41});
        const withReviews = await handoffStats({dir, choices: LABELS});
        const [vsA, vsB] = withReviews.reviews[0]!.models;
        expect(vsA).toMatchObject({a: "a", n: 41, agreement: 1, kappa: 1, failed: 0});
        expect(vsB).toMatchObject({a: "b", n: 40, agreement: 29 / 40, failed: 1});
        expect(vsB!.kappa).toBeCloseTo(31 / 53, 12);
    });

    test("scores: mean absolute difference between models and against the reviews", async () => {
        const scores = [
            [3, 5],
            [7, 7],
            [0, 2],
            [4, 1]
        ];
        const rowsOf = (which: number): TestRow[] => scores.map((pair, idx) => ({idx, columns: {text: `t${idx}`}, answer: {score: pair[which]}}));
        const dir = await writeComparison(path.join(tempDir(), "judges"), [
            {id: "j1", model: "j1.gguf", rows: rowsOf(0)},
            {id: "j2", model: "j2.gguf", rows: rowsOf(1)}
        ]);
        const schema = {type: "object", properties: {score: {type: "integer", minimum: 0, maximum: 7}}};
        await importReviews({
            dir,
            file: writeJsonl(path.join(tempDir(), "gold.jsonl"), [
                {idx: 0, score: 3},
                {idx: 1, score: 6},
                {idx: 2, score: 1}
            ]),
            schema
        });
        const stats = await handoffStats({dir, schema});
        expect(stats.field).toMatchObject({name: "score", kind: "rating", values: [0, 1, 2, 3, 4, 5, 6, 7]});
        expect(stats.models.map((m) => m.mean)).toEqual([3.5, 3.75]);
        expect(stats.pairs[0]).toMatchObject({n: 4, agreement: 0.25, mad: (2 + 0 + 2 + 3) / 4});
        expect(stats.reviews[0]!.models.map((m) => m.mad)).toEqual([(0 + 1 + 1) / 3, (2 + 1 + 1) / 3]);
    });
});

describe("importReviews of Argilla exports", () => {
    test("flattened records (to_list(flatten=True): label.responses, label.responses.status) and discarded responses; no responses at all is an error", async () => {
        const dir = await writeRun(path.join(tempDir(), "flat"), [
            {idx: 0, columns: {text: "a"}, answer: {ok: true}},
            {idx: 1, columns: {text: "b"}, answer: {ok: false}},
            {idx: 2, columns: {text: "c"}, answer: {ok: true}}
        ]);
        const file = path.join(tempDir(), "flat.json");
        fs.writeFileSync(
            file,
            JSON.stringify([
                {id: "0", text: "a", idx: 0, "ok.responses": ["false"], "ok.responses.users": ["u1"], "ok.responses.status": ["submitted"]},
                {id: "1", text: "b", "ok.responses": ["false", "true"], "ok.responses.users": ["u1", "u2"], "ok.responses.status": ["submitted", "draft"]},
                {id: "2", text: "c", "ok.responses": [null], "ok.responses.users": ["u1"], "ok.responses.status": ["discarded"]}
            ])
        );
        const result = await importReviews({dir, file, from: "argilla"});
        expect(result.manifest).toMatchObject({field: "ok", kind: "binary", rows: 3, labelled: 2});
        expect(readJsonl(result.stored)).toEqual([
            {idx: 0, value: false, decision: "submitted", reviews: 1, annotators: ["u1"], values: {u1: false}},
            {idx: 1, value: false, decision: "submitted", reviews: 1, annotators: ["u1"], values: {u1: false}},
            {idx: 2, value: null, decision: "discarded", reviews: 1, annotators: ["u1"], values: {u1: null}}
        ]);
        const stats = await handoffStats({dir});
        expect(stats.reviews[0]!.models[0]).toMatchObject({n: 2, agreement: 0.5});

        const none = path.join(tempDir(), "none.json");
        fs.writeFileSync(
            none,
            JSON.stringify([{id: "0", fields: {text: "a"}, metadata: {idx: 0}, suggestions: {}, responses: {other: [{value: "x", user_id: "u"}]}}])
        );
        await expect(importReviews({dir, file: none})).rejects.toThrow(
            new ReviewImportError(
                `${none} holds no submitted responses to the question ok (the records answer other); review in Argilla first, or pass --field with the question that was answered`
            )
        );
    });

    test("Argilla 1.x FeedbackDataset records (responses: [{values: {question: {value}}, status}]) are read too", async () => {
        const dir = await writeRun(path.join(tempDir(), "v1"), [
            {idx: 0, columns: {text: "a"}, answer: {label: "positive"}},
            {idx: 1, columns: {text: "b"}, answer: {label: "negative"}}
        ]);
        const file = path.join(tempDir(), "v1.json");
        fs.writeFileSync(
            file,
            JSON.stringify([
                {
                    fields: {text: "a"},
                    metadata: {idx: 0},
                    external_id: "0",
                    responses: [{user_id: "u1", status: "submitted", values: {label: {value: "neutral"}}}]
                },
                {fields: {text: "b"}, metadata: {}, external_id: "1", responses: [{user_id: "u1", status: "discarded", values: {}}]}
            ])
        );
        const result = await importReviews({dir, file, choices: LABELS});
        expect(readJsonl(result.stored)).toEqual([
            {idx: 0, value: "neutral", decision: "submitted", reviews: 1, annotators: ["u1"], values: {u1: "neutral"}},
            {idx: 1, value: null, decision: "discarded", reviews: 1, annotators: ["u1"], values: {u1: null}}
        ]);
    });
});
