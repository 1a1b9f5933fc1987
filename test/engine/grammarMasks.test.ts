import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {llama3VocabModel, readJsonlDir, repoRoot, runCli, sharedDir, tempDir, writeJsonl} from "../support/fixtures.js";

// airlabel's steps patch computes a grammar state's allowed tokens by walking a trie of the vocabulary's code points
// (AirlabelGrammarMask.cpp) instead of llama.cpp's walk over every token. AIRLABEL_SAMPLING_CHECK_MASKS=1 computes each
// new mask both ways and counts the differences. A random-weight model writes into every corner a schema leaves open
// (strings, numbers, arrays, nested objects), so a run on the 128k-vocabulary model visits many grammar states.

type RunSummary = {
    okRows: number;
    failedRows: number;
    stepProfile: {maskMisses: number; maskChecks: number; maskMismatches: number; grammarRejections: number};
};

const richSchema = {
    type: "object",
    properties: {
        label: {enum: ["positive", "negative", "neutral"]},
        reason: {type: "string", maxLength: 24},
        score: {type: "integer", minimum: -20, maximum: 300},
        ratio: {type: "number"},
        flagged: {type: "boolean"},
        tags: {type: "array", items: {type: "string", pattern: "^[a-z]+$"}, maxItems: 3},
        author: {type: "object", properties: {name: {type: "string"}, id: {type: ["integer", "null"]}}, required: ["name", "id"], additionalProperties: false}
    },
    required: ["label", "reason", "score", "ratio", "flagged", "tags", "author"],
    additionalProperties: false
};

let model: string;
let input: string;
beforeAll(async () => {
    model = await llama3VocabModel();
    input = writeJsonl(
        path.join(tempDir(), "rows.jsonl"),
        Array.from({length: 6}, (_, i) => ({text: `Note ${i}: ${"the order came late and the box was open ".repeat(1 + (i % 3))}`}))
    );
});

/** `airlabel run` of the six rows with `schemaFile`, 3 sequences, 1 thread: the summary and the rows. */
async function schemaRun(schemaFile: string, args: string[], env: Record<string, string>): Promise<{summary: RunSummary; rows: Record<string, unknown>[]}> {
    const output = path.join(tempDir(), "out");
    const run = await runCli(
        ["run", "-i", input, "-m", model, "-o", output, "-p", "Describe: {text}", "-s", schemaFile, "--parallel", "3", "--threads", "1", "--json", ...args],
        {env}
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = readJsonlDir(path.join(output, "data")).map(({idx, annotation, completion_tokens: tokens, finish_reason: finish}) => ({
        idx,
        annotation,
        tokens,
        finish
    }));
    return {summary: JSON.parse(run.stdout) as RunSummary, rows};
}

async function checkedRun(schemaFile: string, args: string[]): Promise<RunSummary> {
    const limits = ["--max-tokens", "64", "--grammar-max-string-length", "16", "--grammar-max-items", "3", "--retries-invalid", "0", "--skip-invalid-rows"];
    return (await schemaRun(schemaFile, [...limits, ...args], {AIRLABEL_SAMPLING_CHECK_MASKS: "1"})).summary;
}

describe("grammar masks from the vocabulary trie are llama.cpp's, state for state", () => {
    const schemas: [string, () => string][] = [
        [
            "strings, enums, integers, numbers, booleans, arrays, a nested object",
            () => {
                const file = path.join(tempDir(), "rich.json");
                fs.writeFileSync(file, JSON.stringify(richSchema));
                return file;
            }
        ],
        ["a real-world schema (jsonschemabench Github_medium o1.json)", () => path.join(sharedDir, "fixtures", "jsonschemabench", "Github_medium", "o1.json")],
        [
            "a real-world schema with date-time strings (jsonschemabench Github_medium o10078.json)",
            () => path.join(sharedDir, "fixtures", "jsonschemabench", "Github_medium", "o10078.json")
        ]
    ];
    test.each(schemas)("%s", async (_name, schemaFile) => {
        let checked = 0;
        for (const sampling of [
            ["--temperature", "0"],
            ["--temperature", "1", "--seed", "3"]
        ]) {
            const summary = await checkedRun(schemaFile(), sampling);
            // every new mask was computed both ways, and none differed
            expect(summary.stepProfile.maskChecks).toBe(summary.stepProfile.maskMisses);
            expect(summary.stepProfile.maskMismatches).toBe(0);
            checked += summary.stepProfile.maskChecks;
        }
        // the random model made the grammar compute masks for many states
        expect(checked).toBeGreaterThan(8);
    });
});

test("a worker computes a grammar's first masks when it loads it: the run computes none of them, and gives the same rows", async () => {
    const schemaFile = path.join(repoRoot, "examples", "demo", "schema.json");
    const run = (warmup: "0" | "1") => schemaRun(schemaFile, ["--max-tokens", "48"], {AIRLABEL_GRAMMAR_WARMUP: warmup});
    const cold = await run("0");
    const warm = await run("1");
    expect(warm.rows).toHaveLength(6);
    expect(warm.rows).toEqual(cold.rows);
    // the demo schema's states (`{`, its keys, the label's values, the number) allow few tokens each: all computed at load
    expect(cold.summary.stepProfile.maskMisses).toBeGreaterThan(5);
    expect(warm.summary.stepProfile.maskMisses).toBe(0);
});
