import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {llama3VocabModel, readJsonlDir, runCli, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";

// Jump-forward (airlabel's jump patch): where a schema's grammar forces the next text, the native loop appends the
// tokens that spell it after the sampled token and decodes them in its step. A forced token is taken without logits
// or a random draw whether it is jumped or decoded one a step (--no-jump-forward), so both must give the same rows,
// greedy and seeded, on a real 128k BPE vocabulary and on stories260K's SentencePiece one.

type Profile = {steps: number; sequenceSteps: number; forcedTokens: number; jumpedTokens: number};
type Run = {profile: Profile; rows: Record<string, unknown>[]; answerTokens: number};

const schemas: Record<string, Record<string, unknown>> = {
    // the rest of an enum value once its first token is chosen
    enum: {enum: ["strongly positive", "mildly negative", "neutral and factual"]},
    // the whole value
    const: {const: "v2.1-beta build 7"},
    // keys, colons and commas between values the model chooses
    "fixed keys": {
        type: "object",
        properties: {is_urgent: {type: "boolean"}, needs_reply: {type: "boolean"}},
        required: ["is_urgent", "needs_reply"],
        additionalProperties: false
    },
    // brackets and separators several characters long
    "multi-token punctuation": {
        type: "array",
        items: {type: "array", items: {type: "integer", minimum: 0, maximum: 9}, minItems: 1, maxItems: 1},
        minItems: 2,
        maxItems: 2
    },
    all: {
        type: "object",
        properties: {
            label: {enum: ["strongly positive", "mildly negative", "neutral and factual"]},
            schema_version: {const: "v2.1-beta"},
            scores: {type: "array", items: {type: "integer", minimum: 0, maximum: 9}, minItems: 2, maxItems: 2},
            detail: {
                type: "object",
                properties: {confidence: {type: "number", minimum: 0, maximum: 1}},
                required: ["confidence"],
                additionalProperties: false
            }
        },
        required: ["label", "schema_version", "scores", "detail"],
        additionalProperties: false
    }
};

let dir: string;
let input: string;
const models: Record<string, () => Promise<string>> = {
    "128k-vocabulary model": llama3VocabModel,
    stories260K: async () => storiesModel
};

beforeAll(() => {
    dir = tempDir();
    input = writeJsonl(
        path.join(dir, "rows.jsonl"),
        Array.from({length: 9}, (_, i) => ({
            text: `Ticket ${i}: the ${["printer", "router", "laptop"][i % 3]} ${["jams", "is slow", "will not boot"][i % 3]} since ${i + 2} days.`
        }))
    );
    for (const [name, schema] of Object.entries(schemas)) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(schema));
});

async function annotate(model: string, schema: string, args: string[]): Promise<Run> {
    const output = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const run = await runCli(
        [
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "-p",
            "Answer: {text}",
            "-s",
            path.join(dir, `${schema}.json`),
            "--parallel",
            "4",
            "--threads",
            "1"
        ].concat(["--max-tokens", "200", "--retries-invalid", "0", "--json", ...args])
    );
    expect(run.code, run.stderr).toBe(0);
    const profile = (JSON.parse(run.stdout) as {stepProfile: Profile}).stepProfile;
    const rows = readJsonlDir(path.join(output, "data"))
        .map(({idx, annotation, completion_tokens: tokens, finish_reason: finish}) => ({idx, annotation, tokens, finish}))
        .sort((a, b) => (a.idx as number) - (b.idx as number));
    fs.rmSync(output, {recursive: true, force: true});
    return {profile, rows, answerTokens: rows.reduce((sum, row) => sum + (row.tokens as number), 0)};
}

/** Runs with jump-forward and one token a step, and checks what both must share. */
async function compare(model: string, schema: string, args: string[]): Promise<{jumped: Run; stepped: Run}> {
    const jumped = await annotate(model, schema, args);
    const stepped = await annotate(model, schema, [...args, "--no-jump-forward"]);
    expect(jumped.rows).toHaveLength(9);
    expect(jumped.rows.every((row) => row.finish === "stop")).toBe(true);
    expect(jumped.rows).toEqual(stepped.rows);
    // the same tokens were forced; one a step, each cost a decode of its sequence, jumped, none did
    expect(jumped.profile.forcedTokens).toBe(stepped.profile.forcedTokens);
    expect(stepped.profile.jumpedTokens).toBe(0);
    expect(jumped.profile.jumpedTokens).toBeGreaterThan(0);
    expect(stepped.profile.sequenceSteps).toBe(stepped.answerTokens);
    expect(jumped.profile.sequenceSteps).toBe(jumped.answerTokens - jumped.profile.jumpedTokens);
    expect(jumped.profile.steps).toBeLessThan(stepped.profile.steps);
    return {jumped, stepped};
}

describe.each(Object.keys(models))("jump-forward gives the rows of one token a step: %s", (modelName) => {
    let model: string;
    beforeAll(async () => {
        model = await models[modelName]!();
    });

    test.each(["enum", "const", "fixed keys", "multi-token punctuation"])("greedy, %s", async (schema) => {
        const {jumped} = await compare(model, schema, []);
        if (schema === "const") {
            // the whole answer is forced: its first token is taken at the prompt's step, the rest jumped with it
            expect(jumped.profile.forcedTokens).toBe(jumped.answerTokens);
            expect(jumped.profile.jumpedTokens).toBe(jumped.answerTokens - 9);
            expect(jumped.rows.every((row) => row.annotation === "v2.1-beta build 7")).toBe(true);
        }
    });

    test.each([
        ["greedy", []],
        ["seeded top-k", ["--temperature", "0.9", "--top-k", "40", "--seed", "7"]],
        ["seeded, whole vocabulary, repetition penalty", ["--temperature", "0.8", "--seed", "5", "--repeat-penalty", "1.3"]]
    ])("every kind of forced text together, %s", async (_name, args) => {
        const {jumped} = await compare(model, "all", args as string[]);
        // keys, the const, punctuation and the enum's rest are most of each answer
        expect(jumped.profile.forcedTokens).toBeGreaterThan(jumped.answerTokens / 2);
    });
});

test("the run's summary says how many answer tokens the schema forced and how many were jumped", async () => {
    const output = path.join(dir, "summary-out");
    const run = await runCli([
        "run",
        "-i",
        input,
        "-m",
        storiesModel,
        "-o",
        output,
        "-p",
        "Answer: {text}",
        "-s",
        path.join(dir, "const.json"),
        "--parallel",
        "4"
    ]);
    expect(run.code, run.stderr).toBe(0);
    // a const answer is all forced: each row's first token taken at its prompt's step, the rest jumped with it
    const line =
        /airlabel: decoding: \d+ of \d+ prompt tokens evaluated; (\d+) of (\d+) answer tokens forced by the schema, (\d+) of them decoded with the token before them \(jump-forward\)/u.exec(
            run.stderr
        );
    expect(line, run.stderr).not.toBeNull();
    const [forced, answer, jumped] = line!.slice(1).map(Number);
    expect(forced).toBe(answer);
    expect(jumped).toBe(answer! - 9);
});
