import fs from "node:fs";
import path from "node:path";
import {beforeAll, expect, test} from "vitest";
import {llama3VocabModel, readJsonlDir, repoRoot, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// Shared prefixes (airlabel's jump patch): the prompt prefix a run's first rows share (the system message and the
// template up to the row's text) is evaluated once and copied to the other sequences, instead of once per sequence.
// 32 sequences, rows of different lengths, more rows than sequences (the later ones keep the prefix their sequence
// holds): the same rows as without sharing, with 31 fewer evaluations of the prefix.

type Summary = {
    okRows: number;
    evaluatedPromptTokens: number;
    stepProfile: {sharedPrefixTokens: number; sharedPrefixCopies: number};
};

let model: string;
let dir: string;
let input: string;
let system: string;
const words = ["printer", "router", "laptop", "screen", "cable", "keyboard", "battery", "charger"];

beforeAll(async () => {
    model = await llama3VocabModel();
    dir = tempDir();
    input = writeJsonl(
        path.join(dir, "rows.jsonl"),
        Array.from({length: 40}, (_, i) => ({
            text: Array.from({length: 1 + (i % 7) * 3}, (_, j) => `the ${words[(i + j) % words.length]} fails ${j + 1} times`).join(", ")
        }))
    );
    system = path.join(dir, "system.txt");
    fs.writeFileSync(
        system,
        Array.from({length: 12}, (_, i) => `Rule ${i + 1}: read the ticket, name the device at fault and rate how urgent the ticket is.`).join("\n")
    );
});

async function annotate(args: string[]): Promise<{summary: Summary; rows: Record<string, unknown>[]}> {
    const output = path.join(dir, `out-${args.length}`);
    const schema = path.join(repoRoot, "examples", "demo", "schema.json");
    const run = await runCli(
        [
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            output,
            "--system-file",
            system,
            "-p",
            "Ticket: {text}",
            "-s",
            schema,
            "--parallel",
            "32",
            "--threads",
            "1"
        ].concat(["--max-tokens", "48", "--json", ...args])
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = readJsonlDir(path.join(output, "data"))
        .map(({idx, annotation, completion_tokens: tokens, finish_reason: finish}) => ({idx, annotation, tokens, finish}))
        .sort((a, b) => (a.idx as number) - (b.idx as number));
    fs.rmSync(output, {recursive: true, force: true});
    return {summary: JSON.parse(run.stdout) as Summary, rows};
}

test("32 sequences share the first rows' prompt prefix, evaluated once: the same rows, 31 fewer evaluations of it", async () => {
    const shared = await annotate([]);
    const alone = await annotate(["--no-share-prefix"]);
    expect(shared.summary.okRows).toBe(40);
    expect(shared.rows).toEqual(alone.rows);
    const prefix = shared.summary.stepProfile.sharedPrefixTokens;
    // the chat template's head and the 12-line system message (about 250 tokens), short of each row's text
    expect(prefix).toBeGreaterThan(200);
    expect(shared.summary.stepProfile.sharedPrefixCopies).toBe(31);
    expect(alone.summary.stepProfile.sharedPrefixTokens).toBe(0);
    expect(alone.summary.evaluatedPromptTokens - shared.summary.evaluatedPromptTokens).toBe(32 * prefix);
});
