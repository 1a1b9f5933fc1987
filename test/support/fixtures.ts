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

/** The usual setup of a test file: the generated model and a fresh temp dir holding `rows` as a JSONL input file. */
export async function jobFixture(rows: unknown[], inputName = "in.jsonl"): Promise<{model: string, dir: string, input: string}> {
    const model = await generatedModel();
    const dir = tempDir();
    return {model, dir, input: writeJsonl(path.join(dir, inputName), rows)};
}

export function writeJsonl(file: string, rows: unknown[]): string {
    fs.writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
    return file;
}

export type CliResult = {code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string};

/** Runs the built CLI in a child process. */
export function runCli(args: string[], options: {input?: string, onSpawn?: (child: ReturnType<typeof spawn>) => void} = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cliPath, ...args], {cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
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
    return fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()
        .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>));
}
