#!/usr/bin/env node
// Empirical coverage of airlabel's JSON Schema -> grammar compiler on the JSONSchemaBench fixture schemas
// (../shared/fixtures/jsonschemabench): for each schema, compile it, generate one answer under the grammar with
// the real engine (node-llama-cpp LlamaCompletion, greedy), and validate it with ajv (AnswerSchema). Coverage =
// schemas with a valid answer / all schemas (the paper's "empirical coverage", arXiv 2501.10868). Also measures
// the grammar compile time per schema and the decoding slowdown (ms per token with the grammar vs without).
//
//   node bench/schema-coverage.mjs [--model generated|stories|file.gguf]... [--sets Glaiveai2K,Github_easy,Github_medium]
//       [--max-tokens 2048] [--max-string-length 16] [--max-items 2] [--limit N] [--json]
//
// Defaults: both test models (a generated 1M q8_0 model, seed 7, and ../shared/models/stories260K.gguf), every
// schema of the three sets. Prints a Markdown report on stdout (JSON with --json). Needs `npm run build` first.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {getLlama, LlamaCompletion, LlamaLogLevel} from "node-llama-cpp";
import {AnswerSchema, compileSchemaGrammar, writeLlamaGguf} from "../dist/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({
    options: {
        model: {type: "string", multiple: true},
        sets: {type: "string", default: "Glaiveai2K,Github_easy,Github_medium"},
        "max-tokens": {type: "string", default: "2048"},
        "max-string-length": {type: "string", default: "16"},
        "max-items": {type: "string", default: "2"},
        limit: {type: "string"},
        json: {type: "boolean", default: false}
    }
});
const fixtures = path.join(root, "..", "shared", "fixtures", "jsonschemabench");
const explained = JSON.parse(fs.readFileSync(path.join(root, "test", "schema", "jsonschemabench-explained.json"), "utf8")).schemas;
const maxTokens = Number(values["max-tokens"]);
const bounds = {
    maxStringLength: values["max-string-length"] === "none" ? Infinity : Number(values["max-string-length"]),
    maxItems: values["max-items"] === "none" ? Infinity : Number(values["max-items"])
};
const log = (line) => process.stderr.write(`schema-coverage: ${line}\n`);

async function modelFile(name) {
    if (name === "stories") return path.join(root, "..", "shared", "models", "stories260K.gguf");
    if (name !== "generated") return name;
    const file = path.join(os.tmpdir(), "airlabel-bench-generated-1M-q8_0-s7.gguf");
    if (!fs.existsSync(file)) await writeLlamaGguf({path: file, parameters: 1_000_000, type: "q8_0", seed: 7});
    return file;
}

const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

// every schema of the chosen sets, compiled once (compile time measured here)
const schemas = [];
for (const set of values.sets.split(",")) {
    const files = fs
        .readdirSync(path.join(fixtures, set))
        .filter((f) => f.endsWith(".json"))
        .sort();
    for (const file of values.limit === undefined ? files : files.slice(0, Number(values.limit))) {
        const id = `${set}/${file}`;
        const schema = JSON.parse(fs.readFileSync(path.join(fixtures, set, file), "utf8"));
        const entry = {id, set, schema, answer: null, grammar: null, compileMs: null, error: null};
        try {
            entry.answer = AnswerSchema.fromJsonSchema(schema, id);
        } catch (err) {
            entry.error = `invalid schema: ${err.message}`;
        }
        const started = performance.now();
        try {
            entry.grammar = compileSchemaGrammar(schema, {...bounds, origin: id});
            entry.compileMs = performance.now() - started;
        } catch (err) {
            entry.error ??= `compile: ${err.message}`;
        }
        schemas.push(entry);
    }
}
const sets = [...new Set(schemas.map((s) => s.set))];

const llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error, build: "never", skipDownload: true, progressLogs: false});
const results = [];
for (const name of values.model ?? ["generated", "stories"]) {
    const file = await modelFile(name);
    const model = await llama.loadModel({modelPath: file});
    const context = await model.createContext({contextSize: maxTokens + 64, threads: 1});
    const sequence = context.getSequence();
    const completion = new LlamaCompletion({contextSequence: sequence});
    const run = async (options) => {
        await sequence.clearHistory();
        let tokens = 0;
        const started = performance.now();
        const result = await completion.generateCompletionWithMeta("JSON:", {
            ...options,
            temperature: 0,
            onToken: (t) => {
                tokens += t.length;
            }
        });
        return {result, tokens, ms: performance.now() - started};
    };
    const perSet = Object.fromEntries(sets.map((set) => [set, {schemas: 0, valid: 0, failures: []}]));
    const timing = {grammarMs: 0, grammarTokens: 0, freeMs: 0, freeTokens: 0};
    for (const entry of schemas) {
        const stats = perSet[entry.set];
        stats.schemas++;
        let outcome = entry.error;
        if (outcome === null) {
            const grammar = await llama.createGrammar({grammar: entry.grammar.gbnf});
            const constrained = await run({grammar, maxTokens});
            const check = entry.answer.check(constrained.result.response);
            if (constrained.result.metadata.stopReason === "maxTokens") outcome = `truncated at maxTokens ${maxTokens}`;
            else if (!check.ok) outcome = `${check.reason}: ${constrained.result.response.slice(0, 160)}`;
            else {
                // the same number of tokens without a grammar, for the slowdown
                const free = await run({maxTokens: Math.max(1, constrained.tokens)});
                timing.grammarMs += constrained.ms;
                timing.grammarTokens += constrained.tokens;
                timing.freeMs += free.ms;
                timing.freeTokens += free.tokens;
            }
        }
        if (outcome === null) stats.valid++;
        else stats.failures.push({id: entry.id, outcome, explanation: explained[entry.id] ?? null});
    }
    log(`${path.basename(file)}: ${sets.map((set) => `${set} ${perSet[set].valid}/${perSet[set].schemas}`).join(", ")}`);
    results.push({model: path.basename(file), perSet, timing});
    await context.dispose();
    await model.dispose();
}

const compileTimes = schemas
    .filter((s) => s.compileMs !== null)
    .map((s) => s.compileMs)
    .sort((a, b) => a - b);
const compileBySet = Object.fromEntries(
    sets.map((set) => {
        const times = schemas
            .filter((s) => s.set === set && s.compileMs !== null)
            .map((s) => s.compileMs)
            .sort((a, b) => a - b);
        return [set, {median: quantile(times, 0.5), p99: quantile(times, 0.99), max: times[times.length - 1]}];
    })
);
const grammarSizes = schemas
    .filter((s) => s.grammar !== null)
    .map((s) => s.grammar.bytes)
    .sort((a, b) => a - b);
const report = {
    command: `node bench/schema-coverage.mjs ${process.argv.slice(2).join(" ")}`.trim(),
    maxTokens,
    bounds: {maxStringLength: String(bounds.maxStringLength), maxItems: String(bounds.maxItems)},
    compile: {
        schemas: compileTimes.length,
        medianMs: quantile(compileTimes, 0.5),
        p99Ms: quantile(compileTimes, 0.99),
        maxMs: compileTimes[compileTimes.length - 1],
        bySet: compileBySet,
        grammarBytes: {median: quantile(grammarSizes, 0.5), p99: quantile(grammarSizes, 0.99), max: grammarSizes[grammarSizes.length - 1]}
    },
    models: results
};
if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
    const pct = (v, n) => `${((100 * v) / n).toFixed(1)}% (${v}/${n})`;
    const lines = [
        `Command: \`${report.command}\` (grammar caps: maxStringLength ${bounds.maxStringLength}, maxItems ${bounds.maxItems}; greedy; maxTokens ${maxTokens})`,
        "",
        `| model | ${sets.join(" | ")} |`,
        `| --- | ${sets.map(() => "---").join(" | ")} |`
    ];
    for (const r of results) lines.push(`| ${r.model} | ${sets.map((set) => pct(r.perSet[set].valid, r.perSet[set].schemas)).join(" | ")} |`);
    lines.push(
        "",
        `Compile time per schema (${compileTimes.length} schemas): median ${report.compile.medianMs.toFixed(2)} ms, p99 ${report.compile.p99Ms.toFixed(1)} ms, max ${report.compile.maxMs.toFixed(0)} ms; grammar size median ${report.compile.grammarBytes.median} B, p99 ${report.compile.grammarBytes.p99} B, max ${report.compile.grammarBytes.max} B.`
    );
    for (const set of sets) lines.push(`- ${set}: median ${compileBySet[set].median.toFixed(2)} ms, p99 ${compileBySet[set].p99.toFixed(1)} ms`);
    lines.push("", "| model | with grammar | without | slowdown |", "| --- | --- | --- | --- |");
    for (const r of results) {
        const g = r.timing.grammarMs / r.timing.grammarTokens;
        const f = r.timing.freeMs / r.timing.freeTokens;
        lines.push(
            `| ${r.model} | ${g.toFixed(3)} ms/token (${r.timing.grammarTokens} tokens) | ${f.toFixed(3)} ms/token (${r.timing.freeTokens} tokens) | ${(g / f).toFixed(2)}x |`
        );
    }
    lines.push("", "Failures:");
    for (const r of results)
        for (const set of sets)
            for (const f of r.perSet[set].failures) {
                lines.push(`- ${r.model} ${f.id}: ${f.explanation ?? `UNEXPLAINED: ${f.outcome}`}`);
            }
    process.stdout.write(`${lines.join("\n")}\n`);
}
