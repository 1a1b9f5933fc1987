#!/usr/bin/env node
// The annotation-job benchmark's dataset: deterministic, seeded, English-like product and service reviews, nothing
// downloaded. Each row is {"id", "text"}; its text is 50 to 150 tokens under Llama 3's tokenizer (the vocabulary of
// models/bench/llama3-vocab-128x2x4x4x256-f16.gguf), the lengths spread evenly over that range.
//
//   node bench/annotation-job/generate-dataset.mjs [--rows 512] [--seed 42] [--min-tokens 50] [--max-tokens 150]
//       [--model models/bench/llama3-vocab-128x2x4x4x256-f16.gguf] [--output out/annotation-job/reviews-512-s42.jsonl]
//
// run.mjs imports generateDataset() and calls it when its dataset is missing. Same arguments, same file, byte for byte.
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const defaultModel = path.join(root, "models", "bench", "llama3-vocab-128x2x4x4x256-f16.gguf");

// word lists, "|"-separated
const words = Object.fromEntries(
    Object.entries({
        product:
            "blender|hotel room|phone case|vacuum|coffee grinder|taxi ride|gym membership|laptop bag|rice cooker|hair dryer|delivery service|bike lock|desk lamp|yoga mat|streaming plan|kettle|rain jacket|plumber visit|headphones|car wash|sofa|printer|restaurant|phone plan",
        aspect: "battery|price|build quality|customer support|delivery|noise level|design|screen|staff|setup|instructions|packaging|smell|warranty|size|handle|app|refund process",
        good: "excellent|solid|sturdy|quiet|friendly|fast|reliable|comfortable|bright|generous|well made|easy to clean|worth the money|better than expected",
        bad: "flimsy|loud|slow|rude|overpriced|confusing|cheap looking|broken|unreliable|sticky|late|disappointing|hard to reach|worse than advertised",
        time: "after a week|on the first day|within a month|since March|after two washes|every morning|over the holidays|on day two|for three years now|after the update",
        person: "my partner|my kids|the technician|my neighbour|the driver|my mother|the manager|a friend",
        opener: "Honestly,|To be fair,|Overall,|Sadly,|Surprisingly,|In short,|For the price,|Still,",
        verdict:
            "I would buy it again|I would not recommend it|I asked for a refund|it does what it says|I am happy with it|I will look elsewhere next time|it is fine for now|five stars from me",
        short: "Meh.|Never again.|Five stars.|Not great.|Good value.|Thanks!|Avoid.|Love it.|It arrived on time.|Would buy again.|Nothing special.|Too expensive.|Works fine.|Shame.",
        closing: "anyway|though|too|overall|again|honestly"
    }).map(([kind, list]) => [kind, list.split("|")])
);

/** mulberry32: a small seeded generator, so the same seed gives the same dataset on every machine */
export function random(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function sentence(rand) {
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const patterns = [
        () => `The ${pick(words.aspect)} is ${pick(words.good)}, but the ${pick(words.aspect)} felt ${pick(words.bad)} ${pick(words.time)}.`,
        () => `I bought this ${pick(words.product)} for ${pick(words.person)} and the ${pick(words.aspect)} was ${pick(words.good)}.`,
        () => `${pick(words.opener)} the ${pick(words.aspect)} turned ${pick(words.bad)} ${pick(words.time)}.`,
        () => `According to ${pick(words.person)}, the ${pick(words.product)} looked ${pick(words.good)}.`,
        () => `We used the ${pick(words.product)} ${pick(words.time)} and it stayed ${pick(words.good)} the whole time.`,
        () => `${pick(words.opener)} ${pick(words.verdict)}.`,
        () =>
            `Compared with my old ${pick(words.product)}, the ${pick(words.aspect)} is ${pick(words.bad)} and the ${pick(words.aspect)} is ${pick(words.good)}.`,
        () => `Support took ages to answer about the ${pick(words.aspect)}, which was ${pick(words.bad)} ${pick(words.time)}.`
    ];
    return pick(patterns)();
}

/** One review of exactly `target` tokens: whole sentences while they fit, short ones to close the gap, one word last. */
function review(rand, target, count) {
    let text = "";
    const join = (next) => (text === "" ? next : `${text} ${next}`);
    for (let tries = 0; tries < 200; tries++) {
        const gap = target - count(text);
        if (gap === 0) return text;
        const next = gap > 12 ? sentence(rand) : words.short[Math.floor(rand() * words.short.length)];
        if (count(join(next)) <= target) text = join(next);
        else if (gap === 1 && text !== "") {
            // one token short: a closing word before the last full stop ("... it says anyway.")
            const closing = words.closing.map((w) => `${text.slice(0, -1)} ${w}.`).find((t) => count(t) === target);
            if (closing !== undefined) return closing;
        }
    }
    throw new Error(`no review of exactly ${target} tokens (stopped at ${count(text)})`);
}

/** Writes `rows` reviews to `output` (JSONL) and returns their token counts. */
export async function generateDataset({rows = 512, seed = 42, minTokens = 50, maxTokens = 150, model = defaultModel, output}) {
    const llama = await getLlama({gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error, progressLogs: false});
    const vocab = await llama.loadModel({modelPath: model, vocabOnly: true});
    const count = (text) => vocab.tokenize(text).length;
    const rand = random(seed);
    // evenly spread targets (row i of n gets the i-th of n equal steps over the range), then shuffled
    const span = maxTokens - minTokens + 1;
    const targets = Array.from({length: rows}, (_, i) => minTokens + Math.floor(((i + 0.5) * span) / rows));
    for (let i = targets.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [targets[i], targets[j]] = [targets[j], targets[i]];
    }
    const lines = [];
    const counts = [];
    for (const [i, target] of targets.entries()) {
        const text = review(rand, target, count);
        const tokens = count(text);
        if (tokens < minTokens || tokens > maxTokens) throw new Error(`row ${i}: ${tokens} tokens, outside ${minTokens}..${maxTokens}`);
        counts.push(tokens);
        lines.push(JSON.stringify({id: `r${String(i + 1).padStart(5, "0")}`, text}));
    }
    await vocab.dispose();
    fs.mkdirSync(path.dirname(output), {recursive: true});
    fs.writeFileSync(output, lines.join("\n") + "\n");
    return counts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const {values} = parseArgs({
        options: {
            rows: {type: "string", default: "512"},
            seed: {type: "string", default: "42"},
            "min-tokens": {type: "string", default: "50"},
            "max-tokens": {type: "string", default: "150"},
            model: {type: "string", default: defaultModel},
            output: {type: "string"}
        }
    });
    const output = values.output ?? path.join(root, "out", "annotation-job", `reviews-${values.rows}-s${values.seed}.jsonl`);
    const counts = await generateDataset({
        rows: Number(values.rows),
        seed: Number(values.seed),
        minTokens: Number(values["min-tokens"]),
        maxTokens: Number(values["max-tokens"]),
        model: values.model,
        output
    });
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    process.stderr.write(
        `${path.relative(process.cwd(), output)}: ${counts.length} rows, ${Math.min(...counts)}..${Math.max(...counts)} tokens, mean ${mean.toFixed(1)}\n`
    );
}
