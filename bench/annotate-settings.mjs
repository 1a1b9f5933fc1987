#!/usr/bin/env node
// Measures a whole `annotate` run (prepare excluded: the prepared cache is warmed first) on the bundled demo
// dataset under several settings, to choose defaults from measurement rather than guesses.
//
//   node bench/annotate-settings.mjs [--model file.gguf] [--threads 1,2] [--parallel 1,8,16,32] [--rows 200] [--max-tokens 48]
//
// Prints one JSON line per setting on stdout and a Markdown table on stderr. Needs `npm run build` first.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {annotate, ensureGeneratedModel} from "../dist/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({
    options: {
        model: {type: "string"},
        threads: {type: "string", default: "1,2"},
        parallel: {type: "string", default: "1,8,16,32"},
        rows: {type: "string", default: "200"},
        "max-tokens": {type: "string", default: "48"}
    }
});
const list = (text) => text.split(",").map((v) => Number(v));
const model = values.model ?? (await ensureGeneratedModel({dir: path.join(root, "models", "generated"), parameters: 10_000_000, type: "q8_0", seed: 42}));
const demo = path.join(root, "examples", "demo");
const base = {
    input: path.join(demo, "reviews.jsonl"),
    model,
    template: fs.readFileSync(path.join(demo, "template.txt"), "utf8"),
    system: fs.readFileSync(path.join(demo, "system.txt"), "utf8").trim(),
    schema: JSON.parse(fs.readFileSync(path.join(demo, "schema.json"), "utf8")),
    maxTokens: Number(values["max-tokens"]),
    maxRows: Number(values.rows),
    shardSize: 1000
};
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-bench-"));
const results = [];
for (const threads of list(values.threads)) {
    for (const parallel of list(values.parallel)) {
        const output = path.join(scratch, `t${threads}-p${parallel}`);
        const r = await annotate({...base, output, threads, parallel, overwrite: true});
        const row = {
            model: path.basename(model),
            threads,
            parallel,
            rows: r.doneRows,
            failed: r.failedRows,
            seconds: r.elapsedMs / 1000,
            rowsPerSecond: r.rowsPerSecond,
            generatedTokensPerSecond: r.generatedTokensPerSecond,
            totalTokensPerSecond: (r.promptTokens + r.generatedTokens) / (r.elapsedMs / 1000),
            cpus: os.cpus().length
        };
        results.push(row);
        console.log(JSON.stringify(row));
    }
}
fs.rmSync(scratch, {recursive: true, force: true});
process.stderr.write(
    `\n| threads | parallel | rows | failed | seconds | rows/s | generated tok/s | prompt+generated tok/s |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n`
);
for (const r of results)
    process.stderr.write(
        `| ${r.threads} | ${r.parallel} | ${r.rows} | ${r.failed} | ${r.seconds.toFixed(1)} | ${r.rowsPerSecond.toFixed(2)} | ${r.generatedTokensPerSecond.toFixed(0)} | ${r.totalTokensPerSecond.toFixed(0)} |\n`
    );
