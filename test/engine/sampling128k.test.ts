import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {llama3VocabModel, readJsonlDir, repoRoot, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// airlabel's sampling patch samples greedy and top-k without a vocabulary-sized candidate array, in parallel, with
// grammar masks cached per state; AIRLABEL_SAMPLING=stock sends every sequence through node-llama-cpp's own path.
// On the 128k-vocabulary model both must give the same answers, token for token.

type RunSummary = {
    okRows: number;
    failedRows: number;
    stepProfile: {
        stockSamples: number;
        grammarRejections: number;
        maskHits: number;
        maskMisses: number;
        sequenceSteps: number;
        forcedTokens: number;
        jumpedTokens: number;
        native: boolean;
    };
};

let model: string;
let input: string;
const demoSchema = path.join(repoRoot, "examples", "demo", "schema.json");

beforeAll(async () => {
    model = await llama3VocabModel();
    const dir = tempDir();
    input = writeJsonl(
        path.join(dir, "rows.jsonl"),
        Array.from({length: 12}, (_, i) => ({
            text: `Review ${i}: the ${["blender", "tent", "phone", "kettle"][i % 4]} was ${["great", "awful", "fine", "broken", "okay"][i % 5]}; it arrived after ${i + 1} days.`
        }))
    );
});

async function annotate(mode: "stock" | "fast", args: string[]): Promise<{summary: RunSummary; rows: Record<string, unknown>[]}> {
    const output = path.join(tempDir(), mode);
    const run = await runCli(
        ["run", "-i", input, "-m", model, "-o", output, "-p", "Classify: {text}", "--parallel", "8", "--threads", "1", "--json", ...args],
        // the fast run samples its 8 sequences on 3 threads (chunks of 3, 3 and 2), as many cores would
        {env: {AIRLABEL_SAMPLING: mode, AIRLABEL_SAMPLING_THREADS: mode === "fast" ? "3" : "1"}}
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as RunSummary;
    const rows = readJsonlDir(path.join(output, "data")).map(({idx, annotation, completion_tokens: tokens, attempts}) => ({idx, annotation, tokens, attempts}));
    fs.rmSync(output, {recursive: true, force: true});
    return {summary, rows};
}

describe("sampling on a 128k vocabulary: airlabel's path gives node-llama-cpp's answers", () => {
    const cases: [string, string[], boolean][] = [
        ["greedy, free text", ["--max-tokens", "24"], false],
        ["greedy, schema", ["-s", demoSchema, "--max-tokens", "48"], true],
        ["seeded top-k, free text", ["--temperature", "0.9", "--top-k", "40", "--seed", "11", "--max-tokens", "24"], false],
        ["seeded top-k, schema", ["-s", demoSchema, "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--seed", "11", "--max-tokens", "48"], true],
        // no top-k: the chain runs on the whole vocabulary (sorted by airlabel's radix sort), after a rejection on the
        // tokens the grammar allows
        ["seeded, whole vocabulary, free text", ["--temperature", "0.8", "--seed", "5", "--max-tokens", "24"], false],
        ["seeded, whole vocabulary, schema", ["-s", demoSchema, "--temperature", "0.8", "--seed", "5", "--max-tokens", "48"], true]
    ];
    test.each(cases)("%s", async (_name, args, schema) => {
        const stock = await annotate("stock", args);
        const fast = await annotate("fast", args);
        expect(fast.rows).toHaveLength(12);
        expect(fast.rows).toEqual(stock.rows);
        expect(fast.summary.okRows).toBe(12);
        // the paths really differed: every token of the stock run went through node-llama-cpp, none of the fast one's
        // (a token the grammar forces is taken on both paths without sampling: jump patch)
        const {sequenceSteps, forcedTokens, jumpedTokens} = stock.summary.stepProfile;
        expect(stock.summary.stepProfile.stockSamples).toBe(sequenceSteps - (forcedTokens - jumpedTokens));
        expect(fast.summary.stepProfile.native).toBe(true);
        expect(fast.summary.stepProfile.stockSamples).toBe(0);
        if (schema) {
            // a random-weight model fights the grammar: most sampled tokens are rejected and sampled again from a mask,
            // and the masks repeat (the same grammar states in every row)
            expect(fast.summary.stepProfile.grammarRejections).toBeGreaterThan(0);
            expect(fast.summary.stepProfile.maskHits).toBeGreaterThan(fast.summary.stepProfile.maskMisses);
            for (const row of fast.rows) expect(["positive", "negative", "neutral"]).toContain((row.annotation as {label: string}).label);
        }
    });
});
