#!/usr/bin/env node
// airlabel's throughput against llama.cpp's own ceiling (llama-batched-bench built from the llama.cpp source that
// node-llama-cpp ships), same model, same settings, same threads, measured in one run.
//
//   node bench/compare-ceiling.mjs [--model models/bench/airlabel-85M-f16.gguf] [--parallel 1,8,32]
//       [--prompt-tokens 41] [--gen-tokens 64] [--threads 1[,2]] [--airlabel-threads N|default]
//       [--ceiling ../shared/tools/engine-ceiling]
// --threads: the ceiling runs at each count given and the best per setting is the reference; airlabel runs with
// --airlabel-threads (default: the first of --threads; "default" = airlabel's own default for the machine).
//       [--svg bench/throughput.svg]
//
// Makes the model with airlabel's own GGUF writer when it is missing (85M parameters, F16, seed 42).
// Prints a Markdown table (airlabel vs ceiling, ratio) on stdout and writes an SVG chart.
// Needs `npm run build` first. The ceiling tool builds once (6 to 10 minutes on 2 cores).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({
    options: {
        model: {type: "string", default: path.join(root, "models", "bench", "airlabel-85M-f16.gguf")},
        parallel: {type: "string", default: "1,8,32"},
        "prompt-tokens": {type: "string", default: "41"},
        "gen-tokens": {type: "string", default: "64"},
        threads: {type: "string", default: "1"},
        "airlabel-threads": {type: "string"},
        ceiling: {type: "string", default: path.join(root, "..", "shared", "tools", "engine-ceiling")},
        svg: {type: "string", default: path.join(root, "bench", "throughput.svg")},
        waves: {type: "string", default: "4"}
    }
});
const cli = path.join(root, "dist", "cli", "main.js");
const run = (command, args) => {
    const result = spawnSync(command, args, {cwd: root, encoding: "utf8", maxBuffer: 1 << 26});
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
    return result;
};

if (!fs.existsSync(values.model)) {
    fs.mkdirSync(path.dirname(values.model), {recursive: true});
    run(process.execPath, [cli, "model", "create", "--output", values.model, "--parameters", "85M", "--type", "f16", "--seed", "42"]);
}
const airlabelThreads = values["airlabel-threads"] ?? values.threads.split(",")[0];
const bench = run(process.execPath, [
    cli,
    "bench",
    "-m",
    values.model,
    "--parallel",
    values.parallel,
    "--prompt-tokens",
    values["prompt-tokens"],
    "--gen-tokens",
    values["gen-tokens"],
    "--waves",
    values.waves,
    ...(airlabelThreads === "default" ? [] : ["--threads", airlabelThreads]),
    "--json"
]);
const ours = JSON.parse(bench.stdout);
const engineLine = ours[0]?.engine ?? "?";

// the ceiling at each thread count asked for (--threads 1,2); per parallel setting its best is the reference
const ceiling = new Map();
for (const threads of values.threads.split(",")) {
    const ceilingRun = run(values.ceiling, [values.model, values.parallel, values["prompt-tokens"], values["gen-tokens"], threads]);
    // | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |
    for (const line of ceilingRun.stdout.split("\n")) {
        const cells = line
            .split("|")
            .map((c) => c.trim())
            .filter((c) => c.length > 0);
        if (cells.length < 10 || !/^\d+$/u.test(cells[2])) continue;
        const entry = {prompt: Number(cells[5]), generated: Number(cells[7]), total: Number(cells[9]), threads};
        if (!(ceiling.get(Number(cells[2]))?.total >= entry.total)) ceiling.set(Number(cells[2]), entry);
    }
}

const rows = ours.map((r) => ({...r, ceiling: ceiling.get(r.parallel)}));
const model = path.basename(values.model);
const out = [];
out.push(
    `Model ${model}; prompt ${values["prompt-tokens"]} tokens, ${values["gen-tokens"]} generated per sequence; llama.cpp threads: ceiling ${values.threads}, airlabel ${airlabelThreads}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}); ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`
);
out.push(`airlabel engine: ${engineLine}; ceiling: llama-batched-bench built by engine-ceiling (GGML_NATIVE=ON).`);
out.push("");
out.push(
    "| parallel | airlabel total tok/s | ceiling total tok/s (threads) | ratio | ceiling S_PP / S_TG tok/s | airlabel rows/s | airlabel TTFT ms | airlabel peak RSS MiB |"
);
out.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
    const c = r.ceiling;
    out.push(
        `| ${r.parallel} | ${r.totalTokensPerSecond.toFixed(1)} | ${c ? `${c.total.toFixed(1)} (${c.threads})` : "?"} | ${c ? (r.totalTokensPerSecond / c.total).toFixed(2) : "?"} | ${c ? `${c.prompt.toFixed(0)} / ${c.generated.toFixed(0)}` : "?"} | ${r.rowsPerSecond.toFixed(2)} | ${r.timeToFirstTokenMs.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} |`
    );
}
process.stdout.write(out.join("\n") + "\n");
fs.writeFileSync(values.svg, chart(rows, `${model}: total tokens/s (prompt ${values["prompt-tokens"]} + gen ${values["gen-tokens"]})`));
process.stderr.write(`chart: ${path.relative(root, values.svg)}\n`);

function chart(points, title) {
    const w = 560,
        h = 340,
        left = 60,
        right = 20,
        top = 40,
        bottom = 50;
    const xs = points.map((p) => p.parallel);
    const ys = points.flatMap((p) => [p.totalTokensPerSecond, p.ceiling?.total ?? 0]);
    const maxY = Math.max(...ys) * 1.1 || 1;
    const x = (v) => left + (xs.length === 1 ? 0.5 : Math.log2(v / xs[0]) / Math.log2(xs.at(-1) / xs[0])) * (w - left - right);
    const y = (v) => h - bottom - (v / maxY) * (h - top - bottom);
    const line = (get, color, label, dy) => {
        const pts = points.filter((p) => get(p) != null).map((p) => `${x(p.parallel).toFixed(1)},${y(get(p)).toFixed(1)}`);
        return (
            `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>` +
            pts.map((pt) => `<circle cx="${pt.split(",")[0]}" cy="${pt.split(",")[1]}" r="3" fill="${color}"/>`).join("") +
            `<text x="${w - right - 150}" y="${top + dy}" fill="${color}" font-size="12">${label}</text>`
        );
    };
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxY);
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="22" font-size="13">${title}</text>
${ticks.map((t) => `<line x1="${left}" x2="${w - right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${left - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end">${t.toFixed(0)}</text>`).join("\n")}
${xs.map((v) => `<text x="${x(v)}" y="${h - bottom + 16}" font-size="10" text-anchor="middle">${v}</text>`).join("\n")}
<text x="${(left + w - right) / 2}" y="${h - 12}" font-size="11" text-anchor="middle">parallel sequences</text>
${line((p) => p.ceiling?.total, "#888", "llama-batched-bench", 0)}
${line((p) => p.totalTokensPerSecond, "#1f6feb", "airlabel (annotate path)", 16)}
</svg>
`;
}
