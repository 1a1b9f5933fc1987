import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {llama3VocabModel, readJsonlDir, repoRoot, runCli, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";

// --argmax graph: the decode's graph takes every output row's argmax (airlabel's argmax patch to llama.cpp), the
// native loop takes a plain greedy sequence's token from it and copies no logits rows for steps where no sequence
// needs them. Against --argmax host (every row read on the CPU) the answers must be the same, token for token, on
// the 128k-vocabulary model and on stories260K (a real trained model, where the argmax is rarely a near tie).

type RunSummary = {
    okRows: number;
    stepProfile: {graphTokens: number; sequenceSteps: number; grammarChecks: number; grammarRejections: number; native: boolean};
};

let input: string;
const demoSchema = path.join(repoRoot, "examples", "demo", "schema.json");

beforeAll(() => {
    input = writeJsonl(
        path.join(tempDir(), "rows.jsonl"),
        Array.from({length: 12}, (_, i) => ({
            text: `Once upon a time a ${["cat", "dog", "girl", "boy"][i % 4]} named ${["Tim", "Sue", "Lily", "Max", "Ben"][i % 5]} found ${i + 1} shiny stones.`
        }))
    );
});

async function annotate(model: string, argmax: "graph" | "host", args: string[]): Promise<{summary: RunSummary; rows: Record<string, unknown>[]}> {
    const output = path.join(tempDir(), argmax);
    const run = await runCli(["run", "-i", input, "-m", model, "-o", output, "-p", "{text}", "--parallel", "5", "--json", "--argmax", argmax, ...args]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as RunSummary;
    const rows = readJsonlDir(path.join(output, "data")).map(({idx, annotation, completion_tokens: tokens, attempts, confidence}) => ({
        idx,
        annotation,
        tokens,
        attempts,
        confidence
    }));
    fs.rmSync(output, {recursive: true, force: true});
    return {summary, rows};
}

const cases: [string, string[], "all" | "some" | "none"][] = [
    ["greedy, free text", ["--max-tokens", "24"], "all"],
    // the grammar checks the graph's token on the host; rejected ones are sampled again from the mask and the raw row
    // (no retries: a retry samples at a temperature, on the host)
    ["greedy, schema", ["-s", demoSchema, "--max-tokens", "48", "--retries-invalid", "0"], "some"],
    // log-probabilities need each row: the steps copy it, the token still comes from the graph
    ["greedy, free text, --confidence", ["--max-tokens", "16", "--confidence"], "all"],
    // not greedy: every token is sampled on the host from the raw row
    ["seeded top-k, free text", ["--temperature", "0.9", "--top-k", "40", "--seed", "3", "--max-tokens", "16"], "none"]
];

describe.each([
    ["the 128k-vocabulary model", () => llama3VocabModel(), false],
    ["stories260K", () => Promise.resolve(storiesModel), true]
])("--argmax graph gives --argmax host's answers on %s", (_model, modelPath, trained) => {
    test.each(cases)("%s", async (_name, args, fromGraph) => {
        const model = await modelPath();
        const host = await annotate(model, "host", args);
        const graph = await annotate(model, "graph", args);
        // (without retries some schema rows fail, the same ones both ways)
        expect(graph.rows.length).toBeGreaterThan(0);
        expect(graph.rows).toEqual(host.rows);
        expect(graph.summary.okRows).toBe(host.summary.okRows);
        expect(graph.summary.stepProfile.native).toBe(true);
        // the paths differed: the host run read every row, the graph run took its greedy tokens from the graph
        expect(host.summary.stepProfile.graphTokens).toBe(0);
        const taken = graph.summary.stepProfile.graphTokens;
        if (fromGraph === "all") expect(taken).toBe(graph.summary.stepProfile.sequenceSteps);
        if (fromGraph === "some") {
            // every step checks the graph's token first: kept, or rejected and sampled again on the host
            expect(graph.summary.stepProfile.grammarChecks).toBeGreaterThan(0);
            expect(taken + graph.summary.stepProfile.grammarRejections).toBe(graph.summary.stepProfile.grammarChecks);
            // a trained model's argmax often fits the grammar; the random-weight one's practically never does
            if (trained) expect(taken).toBeGreaterThan(0);
        }
        if (fromGraph === "none") expect(taken).toBe(0);
    });
});

test("--argmax with the openai backend is refused with one line", async () => {
    const run = await runCli([
        "run",
        "-i",
        input,
        "-m",
        "m",
        "--backend",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "-o",
        tempDir(),
        "--argmax",
        "graph"
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(
        "airlabel: options.argmax places the local engine's greedy sampling; the openai backend's server samples on its own (remove it)"
    );
});

test("--argmax auto picks the host on CPU, and the startup line says where greedy tokens are picked", async () => {
    const run = async (args: string[]) => {
        const result = await runCli([
            "run",
            "-i",
            input,
            "-m",
            storiesModel,
            "-o",
            tempDir(),
            "-p",
            "{text}",
            "--max-tokens",
            "8",
            "--gpu",
            "cpu",
            "--json",
            ...args
        ]);
        expect(result.code, result.stderr).toBe(0);
        return {stderr: result.stderr, summary: JSON.parse(result.stdout) as RunSummary};
    };
    const auto = await run([]);
    expect(auto.summary.stepProfile.graphTokens).toBe(0);
    expect(auto.stderr).not.toContain("argmax in the graph");
    const graph = await run(["--argmax", "graph"]);
    expect(graph.summary.stepProfile.graphTokens).toBe(graph.summary.stepProfile.sequenceSteps);
    expect(graph.stderr).toMatch(/engine: llama\.cpp .*, greedy argmax in the graph/u);
});
