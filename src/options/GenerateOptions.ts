import type {AnnotateOptions} from "./AnnotateOptions.js";

/** Options of `generate()` / `airlabel generate`: a dataset from prompts alone. */
export type GenerateOptions = Omit<
    AnnotateOptions,
    | "input"
    | "inputFormat"
    | "template"
    | "templateOrigin"
    | "examples"
    | "examplesAnswerColumn"
    | "keepColumns"
    | "maxRows"
    | "shuffleSeed"
    | "dedup"
    | "skipInvalidRows"
    | "records"
    | "recordLocation"
    | "seedColumn"
> & {
    /** The prompts, each generated `count` times. Required unless `promptsFile` is given. */
    prompts?: string[];
    /** A file of prompts: `.jsonl` holds one JSON string or `{"prompt": "..."}` object per line; any other file one prompt per line (blank lines skipped). Defaults to none (use `prompts`). */
    promptsFile?: string;
    /** Samples per prompt; sample `s` of each prompt uses seed `seed + s`. Defaults to 1. */
    count?: number;
    /** Text put before every prompt (followed by a newline unless it ends with whitespace): shared by all rows, so each sequence evaluates it once and keeps it. Defaults to none. */
    prefix?: string;
    /** Sampling temperature; 0 (greedy) with `count` > 1 is refused, since every sample would be the same. Defaults to 0.8. */
    temperature?: number;
};
