#!/usr/bin/env node
// airlabel against llama.cpp's own ceiling on one machine, with a real 128k vocabulary: builds the addon for the
// backend, builds llama-batched-bench in the same CMake tree (same engine, same flags), makes a random-weight model
// with Llama 3's real tokenizer, then per parallel setting runs the ceiling, `airlabel bench` on free text and
// `airlabel bench --schema` side by side, and writes each result to the report as it appears.
//
//   node bench/cuda.mjs [--gpu cuda|cpu|vulkan|metal] [--cuda-arch 90] [--measure-only]
//       [--parallel 8,32,128,256] [--prompt-tokens 128] [--gen-tokens 128] [--waves 2] [--repeats 1]
//       [--shape 2048,16,32,32,8192] [--threads N] [--schema examples/demo/schema.json] [--argmax auto|graph|host]
//       [--out bench/cuda-report.md]
//
// The ceiling runs with OpenMP's default wait policy and with PASSIVE (airlabel's default before session 11); the
// better one counts.
// --measure-only skips both builds (a machine where `npm run build:native -- --gpu …` already ran).
// On a bare CUDA machine (../shared/tools/bare-cuda): `source .cuda-carry/unpack; node bench/cuda.mjs --cuda-arch 90
// --vocabulary "$OLDPWD/.cuda-carry/ggml-vocab-llama-bpe.gguf" --out "$OUT/report.md"` (the copy has no source bundle:
// the packed, patched source is built with node-llama-cpp's own `source build`). The carry must stay under the
// device's 64 MiB: bare-cuda's `pack` also packs the dev-only Biome binary (23 MB compressed; 77 MB in all on
// 2026-12-05), so drop it after packing:
//   xz -dc .cuda-carry/project.tar.xz | tar --delete --wildcards 'node_modules/@biomejs/*' | xz -T0 -6 > p.new && mv p.new .cuda-carry/project.tar.xz
// (57 MB in all then).
// On CPU (--gpu cpu) the defaults are the narrow model of bench/RESULTS.md: --shape 128,2,4,4,256, prompt 32,
// generated 64, 1 wave, every core. --repeats N runs each measurement N times, interleaved, and keeps the best.
// The model is written once to models/bench/ (its name says its shape and vocabulary).
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const {values} = parseArgs({
    options: {
        gpu: {type: "string", default: "cuda"},
        "cuda-arch": {type: "string"},
        "measure-only": {type: "boolean", default: false},
        parallel: {type: "string"},
        "prompt-tokens": {type: "string"},
        "gen-tokens": {type: "string"},
        waves: {type: "string"},
        repeats: {type: "string", default: "1"},
        shape: {type: "string"},
        threads: {type: "string"},
        schema: {type: "string", default: path.join(root, "examples", "demo", "schema.json")},
        vocabulary: {type: "string"},
        // where airlabel's greedy decoding picks tokens (airlabel bench --argmax); default: airlabel's (auto: the graph
        // where the output layer is on a GPU)
        argmax: {type: "string", default: "auto"},
        out: {type: "string", default: path.join(root, "bench", "cuda-report.md")}
    }
});
const cpu = values.gpu === "cpu";
const settings = {
    parallel: (values.parallel ?? (cpu ? "8,32,128,256" : "1,8,32,128,256")).split(",").map(Number),
    promptTokens: Number(values["prompt-tokens"] ?? (cpu ? 32 : 128)),
    genTokens: Number(values["gen-tokens"] ?? (cpu ? 64 : 128)),
    waves: Number(values.waves ?? (cpu ? 1 : 2)),
    shape: values.shape ?? (cpu ? "128,2,4,4,256" : "2048,16,32,32,8192"),
    threads: Number(values.threads ?? os.availableParallelism()),
    repeats: Number(values.repeats)
};
const cli = path.join(root, "dist", "cli", "main.js");
const llamaDir = path.join(root, "node_modules", "node-llama-cpp", "llama");
const vocabulary = values.vocabulary ?? path.join(llamaDir, "llama.cpp", "models", "ggml-vocab-llama-bpe.gguf");
const report = fs.openSync(values.out, "w");
const write = (line) => {
    fs.writeSync(report, line + "\n");
    process.stderr.write(line + "\n");
};
const run = (command, args, options = {}) => {
    const result = spawnSync(command, args, {cwd: root, encoding: "utf8", maxBuffer: 1 << 28, ...options});
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${(result.stderr ?? "").slice(-4000)}`);
    return result;
};

write(`# airlabel vs llama.cpp's ceiling, ${values.gpu}, ${new Date().toISOString()}`);
write(
    `machine: ${os.cpus()[0]?.model ?? "?"} x ${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; command: node bench/cuda.mjs ${process.argv.slice(2).join(" ")}`
);

// the model is written while the addon builds (a 1.6B F16 model takes about a minute)
const model = path.join(root, "models", "bench", `llama3-vocab-${settings.shape.replaceAll(",", "x")}-f16.gguf`);
const modelReady = fs.existsSync(model)
    ? Promise.resolve()
    : new Promise((resolve, reject) => {
          fs.mkdirSync(path.dirname(model), {recursive: true});
          const child = spawn(
              process.execPath,
              [cli, "model", "create", "-o", model, "--shape", settings.shape, "--tokenizer-from", vocabulary, "--type", "f16"],
              {cwd: root, stdio: ["ignore", "ignore", "inherit"]}
          );
          child.on("error", reject);
          child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`model create failed (${code})`))));
      });

// 1. the addon, 2. llama-batched-bench in the same CMake tree
if (!values["measure-only"]) {
    const started = performance.now();
    const env = {...process.env, ...(values["cuda-arch"] !== undefined ? {NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: values["cuda-arch"]} : {})};
    // with the source bundle: airlabel's build script (patches, build, check); a copy packed without it (bare-cuda's
    // pack: the source already unpacked and patched) is built by node-llama-cpp's own source build
    const bundled = fs.existsSync(path.join(llamaDir, "gitRelease.bundle"));
    if (bundled) run("npm", ["run", "build:native", "--", "--gpu", values.gpu], {env, stdio: ["ignore", "inherit", "inherit"]});
    else
        run(
            process.execPath,
            [
                path.join(root, "node_modules", "node-llama-cpp", "dist", "cli", "cli.js"),
                "source",
                "build",
                "--gpu",
                values.gpu === "cpu" ? "false" : values.gpu,
                "--noUsageExample"
            ],
            {env, stdio: ["ignore", "inherit", "inherit"]}
        );
    write(`build: addon in ${((performance.now() - started) / 1000).toFixed(0)} s (${bundled ? "npm run build:native" : "node-llama-cpp source build"})`);
}
const buildDir = findBuildDir(values.gpu);
const ceilingBin = path.join(buildDir, "bin", "llama-batched-bench");
if (!values["measure-only"] || !fs.existsSync(ceilingBin)) {
    const started = performance.now();
    run("cmake", ["-S", llamaDir, "-B", buildDir, "-DLLAMA_BUILD_TOOLS=ON"]);
    run("cmake", ["--build", buildDir, "--target", "llama-batched-bench", "-j", String(os.availableParallelism())]);
    write(`build: llama-batched-bench in ${((performance.now() - started) / 1000).toFixed(0)} s (${path.relative(root, ceilingBin)})`);
}

// 3. the model
await modelReady;
write(`model: ${path.relative(root, model)} (shape ${settings.shape}, Llama 3's 128,256-token vocabulary, random F16 weights)`);
write(
    `settings: prompt ${settings.promptTokens}, generated ${settings.genTokens}, ${settings.waves} wave(s), ${settings.threads} threads, best of ${settings.repeats}, --argmax ${values.argmax}`
);
write("");
write(
    "| sequences | ceiling total tok/s | airlabel total tok/s | ratio | step ms (decode) | host µs/seq | schema: generated tok/s | free: generated tok/s | schema/free | schema host µs/seq |"
);
write("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");

// 4. side by side, per setting; 5. each row written as it appears
let engine = null;
for (const parallel of settings.parallel) {
    let ceiling = null,
        free = null,
        schema = null;
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
        const c = ceilingRun(parallel);
        if (ceiling === null || c.total > ceiling.total) ceiling = c;
        const f = benchRun(parallel, false);
        if (free === null || f.totalTokensPerSecond > free.totalTokensPerSecond) free = f;
        const s = benchRun(parallel, true);
        if (schema === null || s.generatedTokensPerSecond > schema.generatedTokensPerSecond) schema = s;
    }
    const fixed = (n, digits = 0) => n.toLocaleString("en-US", {maximumFractionDigits: digits, minimumFractionDigits: digits});
    write(
        `| ${parallel} | ${fixed(ceiling.total)} | ${fixed(free.totalTokensPerSecond)} | ${(free.totalTokensPerSecond / ceiling.total).toFixed(2)} | ` +
            `${fixed(free.steps.stepMs, 2)} (${fixed(free.steps.decodeMs, 2)}) | ${fixed(free.steps.hostUsPerSequence, 1)} | ` +
            `${fixed(schema.generatedTokensPerSecond)} | ${fixed(free.generatedTokensPerSecond)} | ${(schema.generatedTokensPerSecond / free.generatedTokensPerSecond).toFixed(2)} | ` +
            `${fixed(schema.steps.hostUsPerSequence, 1)} |`
    );
    engine ??= free.engine;
    fs.writeSync(report, `<!-- ${JSON.stringify({parallel, ceiling, free, schema})} -->\n`);
}
write("");
write(`airlabel's startup line: engine: ${engine}`);
fs.closeSync(report);

function findBuildDir(gpu) {
    const builds = path.join(llamaDir, "localBuilds");
    const want = gpu === "cpu" ? "false" : gpu;
    for (const name of fs.existsSync(builds) ? fs.readdirSync(builds) : []) {
        try {
            const metadata = JSON.parse(fs.readFileSync(path.join(builds, name, "Release", "_nlcBuildMetadata.json"), "utf8"));
            if (String(metadata.buildOptions?.gpu) === want) return path.join(builds, name);
        } catch {
            // not a finished build
        }
    }
    throw new Error(`no ${gpu} build under ${path.relative(root, builds)}: run without --measure-only, or npm run build:native -- --gpu ${gpu}`);
}

// llama-batched-bench with OpenMP's default wait policy and with PASSIVE: the better is the ceiling
function ceilingRun(parallel) {
    const runs = ["", "PASSIVE"].map((policy) => ceilingRunWith(parallel, policy));
    return runs[0].total >= runs[1].total ? runs[0] : runs[1];
}

function ceilingRunWith(parallel, policy) {
    const context = (settings.promptTokens + settings.genTokens) * parallel + 256;
    const args = [
        "-m",
        model,
        "-c",
        String(context),
        "-b",
        "2048",
        "-ub",
        cpu ? "2048" : "512",
        "-npp",
        String(settings.promptTokens),
        "-ntg",
        String(settings.genTokens),
        "-npl",
        String(parallel),
        "-t",
        String(settings.threads),
        "-tb",
        String(settings.threads),
        ...(cpu ? [] : ["-ngl", "99"])
    ];
    const env = {...process.env, OMP_WAIT_POLICY: policy, LD_LIBRARY_PATH: [path.dirname(ceilingBin), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":")};
    const result = run(ceilingBin, args, {env});
    for (const line of result.stdout.split("\n")) {
        const cells = line
            .split("|")
            .map((cell) => cell.trim())
            .filter((cell) => cell.length > 0);
        if (cells.length >= 10 && cells[2] === String(parallel))
            return {
                generated: Number(cells[7]),
                total: Number(cells[9]),
                stepMs: (Number(cells[6]) * 1000) / settings.genTokens,
                ompWaitPolicy: policy || "default"
            };
    }
    throw new Error(`llama-batched-bench printed no row for ${parallel} sequences:\n${result.stdout}`);
}

function benchRun(parallel, withSchema) {
    const args = [
        cli,
        "bench",
        "-m",
        model,
        "--parallel",
        String(parallel),
        "--prompt-tokens",
        String(settings.promptTokens),
        "--gen-tokens",
        String(settings.genTokens),
        "--waves",
        String(settings.waves),
        "--threads",
        String(settings.threads),
        "--gpu",
        values.gpu,
        "--argmax",
        values.argmax,
        "--json",
        ...(withSchema ? ["--schema", values.schema] : [])
    ];
    return JSON.parse(run(process.execPath, args).stdout)[0];
}
