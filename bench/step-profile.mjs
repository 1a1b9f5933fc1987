#!/usr/bin/env node
// The host's work per decode step, before and after airlabel's sampling and steps patches, on a model with Llama 3's
// real 128,256-token vocabulary: `airlabel bench` per setting, free text and with examples/demo/schema.json, each run
// `--repeats` times interleaved (the best host time kept), in three configurations:
//   before:   node-llama-cpp's evaluate() loop and sampling (AIRLABEL_DRIVER=lockstep, AIRLABEL_SAMPLING=stock), one
//             sampling thread, OpenMP's default wait policy
//   sampling: the JavaScript loop with airlabel's sampling (the sampling patch alone: AIRLABEL_DRIVER=lockstep, sampling
//             threads of its own, OMP_WAIT_POLICY=PASSIVE)
//   after:    airlabel's defaults (the native decode loop)
// and the host time per sequence against the H200's budget: 10% of llama.cpp's own decode step there (2.28 / 3.55 /
// 7.26 / 12.75 ms at 8 / 32 / 128 / 256 sequences, ../shared/tools/bare-cuda/README.md) per sequence.
//
//   node bench/step-profile.mjs [--model models/bench/llama3-vocab-128x2x4x4x256-f16.gguf] [--parallel 8,32,128,256]
//       [--prompt-tokens 32] [--gen-tokens 64] [--threads 2] [--repeats 2]
// Makes the model when it is missing (needs llama.cpp's vocabulary files: npm run build:native first).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({
    options: {
        model: {type: "string", default: path.join(root, "models", "bench", "llama3-vocab-128x2x4x4x256-f16.gguf")},
        parallel: {type: "string", default: "8,32,128,256"},
        "prompt-tokens": {type: "string", default: "32"},
        "gen-tokens": {type: "string", default: "64"},
        threads: {type: "string", default: String(os.availableParallelism())},
        repeats: {type: "string", default: "2"}
    }
});
const cli = path.join(root, "dist", "cli", "main.js");
const schema = path.join(root, "examples", "demo", "schema.json");
const h200StepMs = {1: 1.51, 8: 2.28, 32: 3.55, 128: 7.26, 256: 12.75};
if (!fs.existsSync(values.model)) {
    fs.mkdirSync(path.dirname(values.model), {recursive: true});
    const vocabulary = path.join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp", "models", "ggml-vocab-llama-bpe.gguf");
    spawnSync(process.execPath, [cli, "model", "create", "-o", values.model, "--shape", "128,2,4,4,256", "--tokenizer-from", vocabulary], {stdio: "inherit"});
}
const configurations = {
    before: {AIRLABEL_DRIVER: "lockstep", AIRLABEL_SAMPLING: "stock", AIRLABEL_SAMPLING_THREADS: "1", OMP_WAIT_POLICY: ""},
    sampling: {AIRLABEL_DRIVER: "lockstep", AIRLABEL_SAMPLING_OPENMP: "0", OMP_WAIT_POLICY: "PASSIVE"},
    after: {}
};

function bench(parallel, withSchema, env) {
    const args = [
        cli,
        "bench",
        "-m",
        values.model,
        "--parallel",
        String(parallel),
        "--prompt-tokens",
        values["prompt-tokens"],
        "--gen-tokens",
        values["gen-tokens"],
        "--waves",
        "1",
        "--threads",
        values.threads,
        "--json",
        ...(withSchema ? ["--schema", schema] : [])
    ];
    const result = spawnSync(process.execPath, args, {cwd: root, encoding: "utf8", env: {...process.env, ...env}, maxBuffer: 1 << 26});
    if (result.status !== 0) throw new Error(`bench failed: ${result.stderr}`);
    return JSON.parse(result.stdout)[0];
}

console.log(`# step profile, ${new Date().toISOString()}, ${os.cpus()[0]?.model ?? "?"} x ${os.availableParallelism()}`);
console.log(
    `command: node bench/step-profile.mjs ${process.argv.slice(2).join(" ")}; model ${path.relative(root, values.model)}; best of ${values.repeats} by host time`
);
console.log("");
console.log(
    "| sequences | answer | config | total tok/s | generated tok/s | step ms | decode ms | sampling ms | grammar CPU ms | JS ms | host µs/seq | H200 budget µs/seq |"
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const parallel of values.parallel.split(",").map(Number)) {
    for (const withSchema of [false, true]) {
        const best = {};
        for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
            for (const [name, env] of Object.entries(configurations)) {
                const result = bench(parallel, withSchema, env);
                if (best[name] === undefined || result.steps.hostUsPerSequence < best[name].steps.hostUsPerSequence) best[name] = result;
            }
        }
        const budget = h200StepMs[parallel] !== undefined ? ((h200StepMs[parallel] * 0.1 * 1000) / parallel).toFixed(1) : "-";
        for (const [name, r] of Object.entries(best)) {
            const s = r.steps;
            console.log(
                `| ${parallel} | ${withSchema ? "schema" : "free"} | ${name} | ${r.totalTokensPerSecond.toFixed(0)} | ${r.generatedTokensPerSecond.toFixed(0)} | ` +
                    `${s.stepMs.toFixed(2)} | ${s.decodeMs.toFixed(2)} | ${s.samplingMs.toFixed(2)} | ${s.grammarCpuMs.toFixed(2)} | ${s.jsMs.toFixed(2)} | ${s.hostUsPerSequence.toFixed(1)} | ${budget} |`
            );
        }
    }
}
