#!/usr/bin/env node
// Peak resident memory (RSS) of `airlabel prepare` and `airlabel run` as the input grows: the prepared rows live on
// disk (an Arrow IPC cache in generation order, read window by window), so RSS should stay flat from 10k to 1M rows.
//
//   node bench/memory.mjs [--rows 10000,100000,1000000] [--run-rows 10000,100000] [--model file.gguf]
//
// Each measurement is a fresh process under /usr/bin/time (maximum resident set size). `run` uses the 1M-parameter
// generated model, free text with --max-tokens 1 (one generated token per row), so that a large input finishes in
// minutes while every row still goes through the engine and a committed shard.
// Needs `npm run build` first. Prints a Markdown table on stdout.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {ensureGeneratedModel} from "../dist/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({
    options: {
        rows: {type: "string", default: "10000,100000,1000000"},
        "run-rows": {type: "string", default: "10000,100000"},
        model: {type: "string"}
    }
});
const list = (text) => (text === "" ? [] : text.split(",").map(Number));
const model = values.model ?? (await ensureGeneratedModel({dir: path.join(root, "models", "generated"), parameters: 1_000_000, type: "q8_0", seed: 42}));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-memory-"));
const words = ["good", "bad", "fast", "slow", "battery", "screen", "price", "would", "buy", "again", "never", "broke", "after", "days", "love", "it"];

function dataset(rows) {
    const file = path.join(work, `reviews-${rows}.jsonl`);
    if (fs.existsSync(file)) return file;
    const out = fs.openSync(file, "w");
    let chunk = "";
    for (let i = 0; i < rows; i++) {
        const length = 8 + ((i * 7919) % 24);
        const text = Array.from({length}, (_, w) => words[(i * 31 + w * 17) % words.length]).join(" ");
        chunk += `${JSON.stringify({id: `r${i}`, text, stars: (i % 5) + 1})}\n`;
        if (chunk.length > 1 << 20) {
            fs.writeSync(out, chunk);
            chunk = "";
        }
    }
    fs.writeSync(out, chunk);
    fs.closeSync(out);
    return file;
}

function measure(args) {
    const started = Date.now();
    const result = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, path.join(root, "dist", "cli", "main.js"), ...args], {
        encoding: "utf8",
        maxBuffer: 1 << 26
    });
    const seconds = (Date.now() - started) / 1000;
    const lines = result.stderr.trim().split("\n");
    const kb = Number(lines.at(-1));
    if (result.status !== 0 || !Number.isFinite(kb)) throw new Error(`airlabel ${args.join(" ")} failed (${result.status}): ${result.stderr.slice(-2000)}`);
    return {rssMiB: kb / 1024, seconds, stdout: result.stdout};
}

const table = ["| command | input rows | peak RSS (MiB) | wall (s) |", "| --- | ---: | ---: | ---: |"];
for (const rows of list(values.rows)) {
    const input = dataset(rows);
    const out = path.join(work, `prepare-${rows}`);
    const {rssMiB, seconds} = measure(["prepare", "-i", input, "-m", model, "-o", out, "-p", "Review: {text}\nStars: {stars}", "--json"]);
    table.push(`| prepare | ${rows} | ${rssMiB.toFixed(0)} | ${seconds.toFixed(1)} |`);
    process.stderr.write(`${table.at(-1)}\n`);
    fs.rmSync(out, {recursive: true, force: true});
}
for (const rows of list(values["run-rows"])) {
    const input = dataset(rows);
    const out = path.join(work, `run-${rows}`);
    const {rssMiB, seconds, stdout} = measure([
        "run",
        "-i",
        input,
        "-m",
        model,
        "-o",
        out,
        "-p",
        "Review: {text}\nStars: {stars}",
        "--max-tokens",
        "1",
        "--parallel",
        "32",
        "--shard-size",
        "5000",
        "--quiet",
        "--json"
    ]);
    const summary = JSON.parse(stdout);
    if (summary.okRows !== rows) throw new Error(`run over ${rows} rows answered ${summary.okRows}`);
    table.push(`| run (--max-tokens 1) | ${rows} | ${rssMiB.toFixed(0)} | ${seconds.toFixed(1)} |`);
    process.stderr.write(`${table.at(-1)}\n`);
    fs.rmSync(out, {recursive: true, force: true});
}
fs.rmSync(work, {recursive: true, force: true});
process.stdout.write(`${table.join("\n")}\n`);
