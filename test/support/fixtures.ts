import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {spawn} from "node:child_process";
import {fileURLToPath} from "node:url";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const cliPath = path.join(repoRoot, "dist", "cli", "main.js");
/**
 * The shared fixtures folder beside the project (`../shared`, or `AIRLABEL_SHARED`): test models and real files
 * from other writers. The project must work without it, so suites that need it run only where it is.
 */
export const sharedDir = process.env.AIRLABEL_SHARED ?? path.join(repoRoot, "..", "shared");
/** The real trained tiny model shared with the project (tests may rely on its tokenizer and decoding, not on what it says). */
export const storiesModel = path.join(sharedDir, "models", "stories260K.gguf");

export function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-test-"));
}

const generated = new Map<string, Promise<string>>();

/** A small generated llama model (random weights, byte-level vocabulary, ChatML template), made once per test file. */
export function generatedModel(parameters = 1_000_000, type: "f16" | "q8_0" = "q8_0"): Promise<string> {
    const key = `${parameters}-${type}`;
    let model = generated.get(key);
    if (model === undefined) {
        const file = path.join(tempDir(), `model-${key}.gguf`);
        model = writeLlamaGguf({path: file, parameters, type, seed: 7}).then(() => file);
        generated.set(key, model);
    }
    return model;
}

/** llama.cpp's copy of Llama 3's tokenizer (128,256 tokens), shipped in node-llama-cpp's llama.cpp source (after `npm run build:native`). */
export const llama3VocabFile = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "llama.cpp", "models", "ggml-vocab-llama-bpe.gguf");

let llama3: Promise<string> | undefined;

/**
 * A narrow random-weight llama with Llama 3's real 128,256-token vocabulary (128 wide, 2 layers, 4 heads, FFN 256:
 * 33M parameters, almost all of them the embedding and output matrices), made once per test file: the model for
 * tests about speed paths and tokenization, where a real vocabulary's size is what matters.
 */
export function llama3VocabModel(): Promise<string> {
    llama3 ??= (async () => {
        if (!fs.existsSync(llama3VocabFile))
            throw new Error(`${llama3VocabFile} is missing: run npm run build:native -- --gpu cpu (it unpacks llama.cpp's source with its vocabulary files)`);
        const file = path.join(tempDir(), "llama3-vocab-narrow.gguf");
        await writeLlamaGguf({
            path: file,
            shape: {embedding: 128, layers: 2, heads: 4, headsKv: 4, feedForward: 256},
            type: "f16",
            seed: 7,
            tokenizerFrom: llama3VocabFile
        });
        return file;
    })();
    return llama3;
}

/** The usual setup of a test file: the generated model and a fresh temp dir holding `rows` as a JSONL input file. */
export async function jobFixture(rows: unknown[], inputName = "in.jsonl"): Promise<{model: string; dir: string; input: string}> {
    const model = await generatedModel();
    const dir = tempDir();
    return {model, dir, input: writeJsonl(path.join(dir, inputName), rows)};
}

export function writeJsonl(file: string, rows: unknown[]): string {
    fs.writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
    return file;
}

export type CliResult = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string};

/** Runs the built CLI in a child process. */
export function runCli(
    args: string[],
    options: {input?: string; env?: Record<string, string>; onSpawn?: (child: ReturnType<typeof spawn>) => void} = {}
): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const env = options.env !== undefined ? {...process.env, ...options.env} : process.env;
        const child = spawn(process.execPath, [cliPath, ...args], {cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"], env});
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
        });
        child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
        });
        options.onSpawn?.(child);
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({code, signal, stdout, stderr}));
        if (options.input !== undefined) child.stdin.end(options.input);
        else child.stdin.end();
    });
}

export function readJsonlDir(dir: string): Record<string, unknown>[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".jsonl"))
        .sort()
        .flatMap((f) =>
            fs
                .readFileSync(path.join(dir, f), "utf8")
                .split("\n")
                .filter((l) => l.length > 0)
                .map((l) => JSON.parse(l) as Record<string, unknown>)
        );
}
