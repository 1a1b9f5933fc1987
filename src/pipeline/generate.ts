import fs from "node:fs/promises";
import {AirlabelError} from "../AirlabelError.js";
import {checkOption, isFiniteNumber, optionalPositiveInteger} from "../options/checkOption.js";
import type {RecordList} from "../options/AnnotateOptions.js";
import type {GenerateOptions} from "../options/GenerateOptions.js";
import {annotate, type AnnotateResult} from "./annotate.js";

/** Raised when the prompts file cannot be read or holds a line that is not a prompt. */
export class PromptsFileError extends AirlabelError {}

/** The columns every generated row carries (besides airlabel's own). */
export const generateColumns = ["prompt", "prompt_idx", "sample"] as const;

/** Temperature of `generate` when none is given (greedy would make every sample the same). */
const defaultTemperature = 0.8;

/**
 * Generates a dataset from prompts alone: `count` samples of every prompt, sample `s` with seed `seed + s`, through
 * the same prepare -> engine -> shards pipeline as `annotate` (same output layout, resume by idx, errors file).
 * Row `idx` is `prompt_idx * count + sample`; each row carries `prompt`, `prompt_idx` and `sample`. A shared
 * `prefix` goes before every prompt, where each engine sequence evaluates it once and keeps it.
 */
export async function generate(options: GenerateOptions): Promise<AnnotateResult> {
    checkOption(typeof options === "object" && options !== null, "options must be an object");
    const {prompts: given, promptsFile, count: countOption, prefix, ...rest} = options;
    checkOption(
        given === undefined || (Array.isArray(given) && given.length > 0 && given.every((p) => typeof p === "string" && p.length > 0)),
        "options.prompts must be a non-empty array of non-empty strings"
    );
    checkOption(promptsFile === undefined || (typeof promptsFile === "string" && promptsFile.length > 0), "options.promptsFile must be a non-empty string");
    checkOption(given === undefined || promptsFile === undefined, "options.prompts and options.promptsFile cannot be used together; give the prompts one way");
    checkOption(given !== undefined || promptsFile !== undefined, "generate needs prompts: options.prompts (--prompt) or options.promptsFile (--prompts)");
    optionalPositiveInteger("count", countOption);
    checkOption(prefix === undefined || typeof prefix === "string", "options.prefix must be a string");
    const count = countOption ?? 1;
    const temperature = rest.temperature ?? defaultTemperature;
    checkOption(isFiniteNumber(temperature) && temperature >= 0, "options.temperature must be a number >= 0");
    checkOption(
        temperature > 0 || count === 1,
        `temperature 0 (greedy) with count ${count} would give ${count} identical samples of every prompt; raise the temperature (e.g. --temperature 0.8) or use --count 1`
    );

    const prompts = given ?? (await readPromptsFile(promptsFile!));
    const joinedPrefix = prefix === undefined || prefix.length === 0 ? undefined : /\s$/u.test(prefix) ? prefix : `${prefix}\n`;
    // row `sample * prompts + prompt_idx`, made when prepare reads it (prompts x count rows are never all held): a
    // raised count adds rows after the ones a run already covered, so the run goes on with the new samples only
    const records: RecordList = {
        length: prompts.length * count,
        at: (ordinal) => {
            const p = ordinal % prompts.length;
            return {
                prompt: prompts[p]!,
                prompt_idx: p,
                sample: Math.floor(ordinal / prompts.length),
                ...(joinedPrefix !== undefined ? {prefix: joinedPrefix} : {})
            };
        }
    };
    const source = promptsFile ?? `--prompt (${prompts.length})`;
    return await annotate({
        ...rest,
        temperature,
        input: source,
        records,
        recordLocation: (ordinal) => `${source} prompt ${(ordinal % prompts.length) + 1}, sample ${Math.floor(ordinal / prompts.length)}`,
        template: joinedPrefix !== undefined ? "{prefix}{prompt}" : "{prompt}",
        templateOrigin: "generate prompt",
        keepColumns: [...generateColumns],
        seedColumn: "sample"
    });
}

/** Prompts from a file: JSONL (a JSON string or an object with a string `prompt` per line) or plain text (one per line). */
async function readPromptsFile(file: string): Promise<string[]> {
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new PromptsFileError(`prompts file ${file} ${code === "ENOENT" ? "not found" : `cannot be read (${code})`}; check the --prompts path`);
    }
    const jsonl = /\.(jsonl|ndjson)$/iu.test(file);
    const prompts: string[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.replace(/\r$/u, "");
        if (line.trim().length === 0) continue;
        if (!jsonl) {
            prompts.push(line);
            continue;
        }
        let value: unknown;
        try {
            value = JSON.parse(line);
        } catch (err) {
            throw new PromptsFileError(`${file} line ${i + 1}: invalid JSON (${(err as Error).message}); each line must be a JSON string or {"prompt": "..."}`);
        }
        const prompt = typeof value === "string" ? value : typeof value === "object" && value !== null ? (value as Record<string, unknown>).prompt : undefined;
        if (typeof prompt !== "string" || prompt.length === 0)
            throw new PromptsFileError(`${file} line ${i + 1}: not a prompt; each line must be a non-empty JSON string or {"prompt": "..."}`);
        prompts.push(prompt);
    }
    if (prompts.length === 0) throw new PromptsFileError(`prompts file ${file} holds no prompt; put one prompt per line`);
    return prompts;
}
