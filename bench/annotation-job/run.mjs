#!/usr/bin/env node
// A realistic annotation job, in answers per second: sentiment with a confidence and a short rationale
// (schema.json) for reviews of 50 to 150 tokens (generate-dataset.mjs) under a shared ~400-token instruction
// (instruction.txt, the system message) and template.txt, run by the real CLI (`airlabel run`) in each configuration
// of CONFIGURATIONS below, beside llama.cpp's own ceiling (llama-batched-bench, ../shared/tools/engine-ceiling) on the
// same model, threads and sequences, with each row's mean prompt and answer tokens.
//
//   node bench/annotation-job/run.mjs [--rows 512] [--parallel 32[,8,...]] [--threads 2] [--seed 42]
//       [--configs on,off[,jump,share]] [--repeats 1] [--max-tokens 128] [--model models/bench/llama3-vocab-128x2x4x4x256-f16.gguf]
//       [--ceiling ../shared/tools/engine-ceiling] [--out out/annotation-job] [--json]
//
// answers/s = answered rows / the run's own generation time (its --json `generationMs`: model load and prepare
// excluded). Ceiling-equivalent answers/s = P / (T_PP + T_TG) of llama-batched-bench at -npp = mean prompt tokens,
// -ntg = mean answer tokens, -npl = P (no shared prompt: every sequence evaluates its whole prompt). The answers of
// the configurations are compared row by row (by id) at each P; they must be identical (exit code 1 if not).
// --repeats N runs every configuration and the ceiling N times, interleaved (the machine's load changes), and keeps
// the best of each.
// Markdown table on stdout (or --json: the same numbers), progress on stderr. Needs `npm run build` first; the
// ceiling builds once (6 to 10 minutes on 2 cores). Outputs go to --out (the dataset, and runs/<config>-p<P>/).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {defaultModel, generateDataset} from "./generate-dataset.mjs";

// The configurations compared: extra `airlabel run` arguments and environment for each (--configs picks them).
const CONFIGURATIONS = [
    {key: "on", name: "jump-forward and shared prefixes (defaults)", args: [], env: {}},
    {key: "off", name: "both off", args: ["--no-jump-forward", "--no-share-prefix"], env: {}},
    {key: "jump", name: "jump-forward only", args: ["--no-share-prefix"], env: {}},
    {key: "share", name: "shared prefixes only", args: ["--no-jump-forward"], env: {}},
    // the shared-prefix defaults with a KV cache per sequence (node-llama-cpp's choice), to measure the one-cache choice
    {key: "on-percache", name: "both on, a KV cache per sequence", args: [], env: {AIRLABEL_KV_UNIFIED: "0"}}
];

const here = fileURLToPath(new URL("./", import.meta.url));
const root = path.resolve(here, "..", "..");
const cli = path.join(root, "dist", "cli", "main.js");
const {values} = parseArgs({
    options: {
        rows: {type: "string", default: "512"},
        parallel: {type: "string", default: "32"},
        threads: {type: "string", default: "2"},
        seed: {type: "string", default: "42"},
        configs: {type: "string", default: "on,off"},
        "max-tokens": {type: "string", default: "128"},
        model: {type: "string", default: defaultModel},
        ceiling: {type: "string", default: path.join(root, "..", "shared", "tools", "engine-ceiling")},
        out: {type: "string", default: path.join(root, "out", "annotation-job")},
        repeats: {type: "string", default: "1"},
        json: {type: "boolean", default: false}
    }
});
const log = (line) => process.stderr.write(`annotation-job: ${line}\n`);
const configs = values.configs.split(",").map((key) => CONFIGURATIONS.find((c) => c.key === key) ?? fail(`no configuration "${key}"`));
const parallels = values.parallel.split(",").map(Number);

function fail(message) {
    throw new Error(message);
}

function run(command, args, env = {}) {
    const result = spawnSync(command, args, {cwd: root, encoding: "utf8", maxBuffer: 1 << 28, env: {...process.env, ...env}});
    if (result.status !== 0) fail(`${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${(result.stderr ?? "").slice(-4000)}`);
    return result;
}

async function ensureDataset() {
    const file = path.join(values.out, `reviews-${values.rows}-s${values.seed}.jsonl`);
    if (!fs.existsSync(file)) {
        log(`generating ${path.relative(root, file)} (${values.rows} rows, seed ${values.seed})`);
        await generateDataset({rows: Number(values.rows), seed: Number(values.seed), model: values.model, output: file});
    }
    return file;
}

/** `airlabel run` in one configuration; its --json summary, and its answered rows read back from the shards. */
function airlabelRun(dataset, config, parallel) {
    const output = path.join(values.out, "runs", `${config.key}-p${parallel}`);
    const flags = {
        "-i": dataset,
        "-m": values.model,
        "-o": output,
        "-t": path.join(here, "template.txt"),
        "--system-file": path.join(here, "instruction.txt"),
        "-s": path.join(here, "schema.json"),
        "--parallel": String(parallel),
        "--threads": values.threads,
        "--temperature": "0",
        "--seed": values.seed,
        "--max-tokens": values["max-tokens"]
    };
    const args = [cli, "run", ...Object.entries(flags).flat(), "--overwrite", "--json", ...config.args];
    const started = performance.now();
    const summary = JSON.parse(run(process.execPath, args, config.env).stdout);
    const wallMs = performance.now() - started;
    fs.writeFileSync(path.join(output, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    const rows = readShards(path.join(output, "data"));
    if (rows.length !== summary.okRows) fail(`${output}: ${rows.length} rows in the shards, the summary says ${summary.okRows}`);
    return {summary, rows, wallMs, output};
}

function readShards(dir) {
    return fs
        .readdirSync(dir)
        .filter((name) => name.endsWith(".jsonl"))
        .sort()
        .flatMap((name) =>
            fs
                .readFileSync(path.join(dir, name), "utf8")
                .split("\n")
                .filter(Boolean)
                .map((line) => JSON.parse(line))
        );
}

/** The figures of one run: answers/s from the run's own generation time, mean prompt (rendered) and answer tokens. */
function measure(config, parallel, {summary, rows, wallMs}) {
    const mean = (get) => rows.reduce((sum, row) => sum + get(row), 0) / rows.length;
    return {
        configuration: config.name,
        key: config.key,
        parallel,
        rows: rows.length,
        failed: summary.failedRows,
        retried: rows.filter((row) => row.attempts > 1).length,
        meanPromptTokens: mean((row) => row.prompt_tokens),
        meanAnswerTokens: mean((row) => row.completion_tokens),
        meanRationaleChars: mean((row) => [...(row.annotation?.rationale ?? "")].length),
        evaluatedPromptTokensPerRow: summary.evaluatedPromptTokens / rows.length,
        generatedTokensPerRow: summary.generatedTokens / rows.length,
        // the run's step profile: decode steps, tokens a schema forced / decoded with the token before them, prefix sharing
        steps: summary.stepProfile?.steps ?? null,
        forcedTokens: summary.stepProfile?.forcedTokens ?? null,
        jumpedTokens: summary.stepProfile?.jumpedTokens ?? null,
        sharedPrefixTokens: summary.stepProfile?.sharedPrefixTokens ?? null,
        sharedPrefixCopies: summary.stepProfile?.sharedPrefixCopies ?? null,
        generationSeconds: summary.generationMs / 1000,
        loadSeconds: summary.loadMs / 1000,
        wallSeconds: wallMs / 1000,
        answersPerSecond: rows.length / (summary.generationMs / 1000)
    };
}

/** llama-batched-bench at the job's mean shape: its raw table line and the answers/s it stands for. */
function ceilingRun(parallel, promptTokens, answerTokens) {
    const npp = Math.round(promptTokens);
    const ntg = Math.max(1, Math.round(answerTokens));
    const result = run(values.ceiling, [values.model, String(parallel), String(npp), String(ntg), values.threads]);
    // | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |
    for (const line of result.stdout.split("\n")) {
        const cells = line
            .split("|")
            .map((cell) => cell.trim())
            .filter((cell) => cell.length > 0);
        if (cells.length >= 10 && cells[2] === String(parallel)) {
            const [ppSeconds, tgSeconds] = [Number(cells[4]), Number(cells[6])];
            return {parallel, npp, ntg, ppSeconds, tgSeconds, answersPerSecond: parallel / (ppSeconds + tgSeconds), line: line.trim()};
        }
    }
    return fail(`llama-batched-bench printed no row for ${parallel} sequences:\n${result.stdout}`);
}

/** Rows (by id) whose answer differs between the first configuration's run and each other one's. */
function compareAnswers(runs) {
    const answers = (r) => new Map(r.rows.map((row) => [row.id, JSON.stringify(row.annotation)]));
    const [first, ...others] = runs;
    const reference = answers(first.run);
    return others.map(({config, run: other}) => {
        const theirs = answers(other);
        const ids = new Set([...reference.keys(), ...theirs.keys()]);
        const differing = [...ids].filter((id) => reference.get(id) !== theirs.get(id));
        return {parallel: first.parallel, a: first.config.key, b: config.key, compared: ids.size, differing: differing.length, ids: differing.slice(0, 10)};
    });
}

function markdown({results, ceilings, comparisons, settings}) {
    const f = (n, digits = 1) => n.toFixed(digits);
    const lines = [
        `Model ${path.basename(settings.model)}; ${settings.rows} rows (50-150 tokens), instruction ~400 tokens, schema label/confidence/rationale; ` +
            `${settings.threads} threads; ${settings.cpus}; best of ${settings.repeats}; ${settings.date} UTC.`,
        `Command: \`${settings.command}\``,
        "answers/s: answered rows / the run's generationMs (load and prepare excluded); ceiling-eq: P / (T_PP + T_TG) of llama-batched-bench at the mean shape.",
        "",
        "| configuration | P | rows | mean prompt tokens | mean answer tokens | prompt tokens evaluated / row | answers/s | ceiling-eq answers/s | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    ];
    for (const r of results) {
        const c = ceilings.find((x) => x.parallel === r.parallel);
        lines.push(
            `| ${r.configuration} | ${r.parallel} | ${r.rows}${r.failed ? ` (+${r.failed} failed)` : ""} | ${f(r.meanPromptTokens)} | ${f(r.meanAnswerTokens)} | ` +
                `${f(r.evaluatedPromptTokensPerRow)} | ${f(r.answersPerSecond, 2)} | ${f(c.answersPerSecond, 2)} | ${f(r.answersPerSecond / c.answersPerSecond, 2)} |`
        );
    }
    lines.push("");
    for (const c of ceilings) lines.push(`ceiling P=${c.parallel} (-npp ${c.npp} -ntg ${c.ntg}): \`${c.line}\``);
    for (const r of results)
        lines.push(
            `${r.configuration}, P=${r.parallel}: rationale ${f(r.meanRationaleChars)} characters on average (maxLength 60); ${r.retried} rows retried; ${r.steps} decode steps, ${r.jumpedTokens} of ${r.forcedTokens} forced tokens jumped, shared prefix ${r.sharedPrefixTokens} tokens x ${r.sharedPrefixCopies} copies; model load ${f(r.loadSeconds)} s, generation ${f(r.generationSeconds)} s, wall ${f(r.wallSeconds)} s`
        );
    for (const d of comparisons)
        lines.push(
            `answers, P=${d.parallel}${d.repeat > 1 ? ` (repeat ${d.repeat})` : ""}: ${d.differing} of ${d.compared} rows differ between "${d.a}" and "${d.b}"${d.differing ? ` (e.g. ${d.ids.join(", ")})` : ""}`
        );
    return lines.join("\n") + "\n";
}

/** At one P, --repeats times: every configuration, their answers compared, then the ceiling; the best of each is kept. */
function measureParallel(dataset, parallel, report) {
    const best = new Map();
    let ceiling = null;
    for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
        const runs = [];
        const suffix = values.repeats === "1" ? "" : `, repeat ${repeat + 1}`;
        for (const config of configs) {
            log(`airlabel run, ${config.name}, P=${parallel}, ${values.threads} threads${suffix}`);
            const r = airlabelRun(dataset, config, parallel);
            const m = measure(config, parallel, r);
            log(
                `  ${m.answersPerSecond.toFixed(2)} answers/s (${m.rows} rows in ${m.generationSeconds.toFixed(1)} s; prompt ${m.meanPromptTokens.toFixed(1)}, answer ${m.meanAnswerTokens.toFixed(1)} tokens/row)`
            );
            if (!(best.get(config.key)?.answersPerSecond >= m.answersPerSecond)) best.set(config.key, m);
            runs.push({config, parallel, run: r});
        }
        report.comparisons.push(...compareAnswers(runs).map((d) => ({...d, repeat: repeat + 1})));
        // the ceiling at the first configuration's shape (the configurations' answers, so their tokens, are the same)
        const shape = measure(configs[0], parallel, runs[0].run);
        log(`ceiling, P=${parallel}, -npp ${Math.round(shape.meanPromptTokens)} -ntg ${Math.round(shape.meanAnswerTokens)}${suffix}`);
        const c = ceilingRun(parallel, shape.meanPromptTokens, shape.meanAnswerTokens);
        log(`  ${c.line}`);
        if (!(ceiling?.answersPerSecond >= c.answersPerSecond)) ceiling = c;
    }
    report.results.push(...best.values());
    report.ceilings.push(ceiling);
}

async function main() {
    const dataset = await ensureDataset();
    const settings = {
        model: values.model,
        rows: Number(values.rows),
        threads: Number(values.threads),
        seed: Number(values.seed),
        maxTokens: Number(values["max-tokens"]),
        repeats: Number(values.repeats),
        cpus: `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? "?"})`,
        date: new Date().toISOString().slice(0, 16).replace("T", " "),
        command: `node bench/annotation-job/run.mjs ${process.argv.slice(2).join(" ")}`.trim(),
        configurations: configs
    };
    const report = {settings, results: [], ceilings: [], comparisons: []};
    for (const parallel of parallels) measureParallel(dataset, parallel, report);
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : markdown(report));
    if (report.comparisons.some((d) => d.differing > 0)) process.exitCode = 1;
}

await main();
