#!/usr/bin/env node
// The cost of an incremental re-run: a run over `--base` rows, then the same command after `--added` rows are appended
// to its input (only those are generated), against a fresh run over `--added` rows alone.
//
//   node bench/incremental.mjs [--base 100000] [--added 1000] [--model file.gguf]
//
// Each measurement is a fresh process under /usr/bin/time (wall time, maximum resident set size). The 1M-parameter
// generated model, free text with --max-tokens 1 (one token per row), as bench/memory.mjs. What a re-run still pays
// for the rows it does not generate: reading and hashing every record (the prepare stage copies the rows its earlier
// prepare made of the input's first records rather than rendering and tokenizing them again), and reading the
// committed shards' idx and keys.
// Needs `npm run build` first. Prints a Markdown table on stdout.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {ensureGeneratedModel} from "../dist/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({options: {base: {type: "string", default: "100000"}, added: {type: "string", default: "1000"}, model: {type: "string"}}});
const base = Number(values.base);
const added = Number(values.added);
const model = values.model ?? (await ensureGeneratedModel({dir: path.join(root, "models", "generated"), parameters: 1_000_000, type: "q8_0", seed: 42}));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-incremental-"));
const words = ["good", "bad", "fast", "slow", "battery", "screen", "price", "would", "buy", "again", "never", "broke", "after", "days", "love", "it"];

/** Rows `from` to `to` as JSONL lines, the same text for the same row number whichever file holds it. */
function lines(from, to) {
    let text = "";
    for (let i = from; i < to; i++) {
        const length = 8 + ((i * 7919) % 24);
        text += `${JSON.stringify({id: `r${i}`, text: Array.from({length}, (_, w) => words[(i * 31 + w * 17) % words.length]).join(" "), stars: (i % 5) + 1})}\n`;
    }
    return text;
}

function writeRows(file, from, to, append = false) {
    for (let start = from; start < to; start += 10_000)
        fs[append || start > from ? "appendFileSync" : "writeFileSync"](file, lines(start, Math.min(to, start + 10_000)));
    return file;
}

function run(input, output) {
    const args = ["run", "-i", input, "-m", model, "-o", output, "-p", "Review: {text}\nStars: {stars}", "--max-tokens", "1"];
    const started = Date.now();
    const result = spawnSync(
        "/usr/bin/time",
        ["-f", "%M", process.execPath, path.join(root, "dist", "cli", "main.js"), ...args, "--parallel", "32", "--shard-size", "5000", "--quiet", "--json"],
        {encoding: "utf8", maxBuffer: 1 << 26}
    );
    const seconds = (Date.now() - started) / 1000;
    const kb = Number(result.stderr.trim().split("\n").at(-1));
    if (result.status !== 0 || !Number.isFinite(kb)) throw new Error(`airlabel ${args.join(" ")} failed (${result.status}): ${result.stderr.slice(-2000)}`);
    return {rssMiB: kb / 1024, seconds, summary: JSON.parse(result.stdout)};
}

const table = ["| run | input rows | rows generated | peak RSS (MiB) | wall (s) |", "| --- | ---: | ---: | ---: | ---: |"];
const row = (what, rows, measured) => {
    table.push(`| ${what} | ${rows} | ${measured.summary.doneRows} | ${measured.rssMiB.toFixed(0)} | ${measured.seconds.toFixed(1)} |`);
    process.stderr.write(`${table.at(-1)}\n`);
};
const grown = writeRows(path.join(work, "grown.jsonl"), 0, base);
const output = path.join(work, "out");
row("first run", base, run(grown, output));
writeRows(grown, base, base + added, true);
const again = run(grown, output);
if (again.summary.doneRows !== added || again.summary.resumedRows !== base)
    throw new Error(`the re-run generated ${again.summary.doneRows} rows (resumed ${again.summary.resumedRows}); expected ${added} (resumed ${base})`);
row(`re-run, ${added} rows appended`, base + added, again);
row("fresh run over the added rows alone", added, run(writeRows(path.join(work, "added.jsonl"), base, base + added), path.join(work, "fresh")));
fs.rmSync(work, {recursive: true, force: true});
process.stdout.write(`${table.join("\n")}\n`);
