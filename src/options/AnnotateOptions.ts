import type {OutputFormat} from "../output/OutputRow.js";
import type {BackendOptions} from "./BackendOptions.js";

/** Sampling settings for one generation. */
export type GenerationOptions = {
    /** Maximum tokens generated per answer. Defaults to 256. */
    maxTokens?: number;
    /** Sampling temperature; 0 is greedy. Defaults to 0. */
    temperature?: number;
    /** Nucleus sampling threshold (0 < topP <= 1). Defaults to 1 (off). */
    topP?: number;
    /** Top-k sampling; 0 is off. Defaults to 0. */
    topK?: number;
    /** Min-p sampling threshold (0..1). Defaults to 0 (off). */
    minP?: number;
    /** Base seed; each row uses `seed + idx`, each retry a seed derived from it. Defaults to 0. */
    seed?: number;
    /** Strings that end an answer (not included in it). Defaults to none. */
    stop?: string[];
    /** Repeat penalty (1 is off). Defaults to 1. */
    repeatPenalty?: number;
    /** Keep generating through end-of-generation tokens, so every free-text answer is exactly `maxTokens` long (benchmarks; vLLM's `ignore_eos`). Has no effect with a schema. Defaults to false. */
    ignoreEos?: boolean;
};

export type SortOrder = "shortest" | "longest" | "none";
export type GpuChoice = "auto" | "cuda" | "metal" | "vulkan" | "cpu";

/** Options of the prepare stage: everything that turns input rows into prompts. */
export type PrepareOptions = {
    /** Dataset to read: a file, a folder of shards, a glob, a Hugging Face `save_to_disk` folder, or "-" for stdin. Required. */
    input: string;
    /** Format of `input` when it cannot be told from the name (stdin). Defaults to detection by extension. */
    inputFormat?: "jsonl" | "json" | "csv" | "tsv" | "parquet" | "arrow";
    /** Path of the GGUF model whose tokenizer and chat template are used; with the openai backend, the server's model name. Required. */
    model: string;
    /** Output directory: shards, manifest and the prepared-rows cache. Required. */
    output: string;
    /** Prompt template with `{field}` / `{field.sub}` placeholders. Defaults to "{text}". */
    template?: string;
    /** Where the template came from, for error messages. Defaults to "template". */
    templateOrigin?: string;
    /** System message (used when the model has a chat template). Defaults to none. */
    system?: string;
    /**
     * Fixed few-shot examples: a dataset file (.jsonl, .json, .csv, ... read like the input) or its rows. Each example is
     * rendered with `template` as a user turn, its `examplesAnswerColumn` value as the assistant's answer; the turns go
     * between the system message and each row's prompt (the model's chat template renders them; the openai backend sends
     * them as `messages`). With a schema or choices, the answers are written as the JSON the model is to answer and must
     * match the schema. Their content is part of the run identity (a run records the rows themselves). Not with a prompt
     * hook (it replaces the template: return a message list instead). Defaults to none.
     */
    examples?: string | Record<string, unknown>[];
    /** The column of `examples` holding each example's answer. Defaults to "answer". */
    examplesAnswerColumn?: string;
    /** "auto" uses the chat template in the GGUF metadata when there is one; "none" sends the raw prompt. Defaults to "auto". */
    chatTemplate?: "auto" | "none";
    /** Input columns copied to the output; empty array keeps none. Defaults to all. */
    keepColumns?: string[];
    /** Only the first N rows (after shuffling, when `shuffleSeed` is given). Defaults to all rows. */
    maxRows?: number;
    /** Shuffle rows with this seed before `maxRows` is applied. Defaults to no shuffle. */
    shuffleSeed?: number;
    /** Order in which prompts are generated, by token count. Defaults to "longest" (long prompts first keeps batches full at the end). */
    sort?: SortOrder;
    /** Rows whose prompt duplicates an earlier row's go to the errors file instead of being generated. Defaults to false. */
    dedup?: boolean;
    /** Record malformed input rows in the errors file instead of stopping. Defaults to false. */
    skipInvalidRows?: boolean;
    /**
     * A row whose template field is empty, whitespace only, null or missing goes to the errors file with that reason
     * instead of being annotated (Prodigy's `filter_empty`). With a prompt hook: a prompt that is empty or whitespace
     * only. Defaults to false.
     */
    skipEmpty?: boolean;
    /**
     * Input columns renamed before anything reads them (old name -> new name): the template, hooks, `keepColumns`,
     * `idColumn` and the output see the new names (llm_annotator's `prompt_field_swapper`). Defaults to none.
     */
    rename?: Record<string, string>;
    /**
     * Rows seen before go to the errors file instead of being annotated (Prodigy's `exclude`): their text's
     * `_input_hash` (as airlabel's Prodigy export writes it) is in one of these: another airlabel output dir, a Prodigy
     * export or db-out JSONL, an Argilla `from_disk` folder, or a dataset. Defaults to none.
     */
    exclude?: string[];
    /** Take each row's idx from this input column (a unique non-negative integer) instead of its position, so a row keeps its idx through the steps of a job. Defaults to none (the position). */
    idxColumn?: string;
    /**
     * The input's own id column (unique, non-empty strings or integers): a re-run matches the rows an earlier run
     * answered by it, wherever they moved, and finds the rows whose content changed since (see `changedRows`).
     * Defaults to none: rows are matched by their content (the record's sha256 and its occurrence number), so an
     * edited row is a removed row and a new one.
     */
    idColumn?: string;
    /**
     * Rows given in memory instead of read from `input` (which then only names them in messages and the manifest):
     * an array, or a {@link RecordList} that makes each row when it is read (`generate()` uses one, so that
     * prompts x count rows are never all held). Defaults to reading `input`.
     */
    records?: RecordList;
    /** Where record `ordinal` of `records` came from, for messages and the errors file. Defaults to `<input> record <ordinal + 1>`. */
    recordLocation?: (ordinal: number) => string;
    /** ES module with optional `prompt(row)`, `validate(row, answer)` and `parse(row, answer)` hooks (see AirlabelHooks); resolved against the current directory; its content is part of the run identity. Defaults to none. */
    hooks?: string;
    /** Time limit of one hook call in milliseconds; a hook that takes longer fails its row (stage "hook"). Defaults to 30000. */
    hookTimeoutMs?: number;
};

/** Options of a whole annotation run (`airlabel run`, `annotate()`). */
export type AnnotateOptions = PrepareOptions &
    GenerationOptions &
    BackendOptions & {
        /** JSON Schema every answer must match (it becomes a grammar, then answers are validated with ajv). Defaults to none (free text). */
        schema?: Record<string, unknown> | boolean;
        /** Where the schema came from, for messages. Defaults to "schema". */
        schemaOrigin?: string;
        /**
         * Generation parameters airlabel has no option for, by their request field name (`--param key=value`, a job
         * file's `generation:` map): the openai backend merges them into every request body after its own fields
         * (`logit_bias`, `chat_template_kwargs`, `min_tokens`, `presence_penalty`, vendor extras); the local backend
         * applies `presence_penalty`, `frequency_penalty`, `repeat_last_n` and `logit_bias` and refuses the others. A
         * field airlabel sets itself (`temperature`, `max_tokens`, `response_format`, ...) is refused: use its option.
         * Part of the run identity (a resume must keep them; `retryFailed` may change them). Defaults to none.
         */
        params?: Record<string, unknown>;
        /**
         * One-to-many answers (Curator's multi-row `parse`): the answer (what the `parse` hook returns, else the
         * schema-valid answer itself) is a JSON array whose elements are the output rows, e.g. a list of Q&A pairs
         * becoming one row each. An answer that is not an array fails its row (stage "hook" from the parse hook, else
         * "validate", retried like an invalid answer); an empty array is an answer with no output rows. The shards keep
         * one row per input row (its items committed together); `readOutput`, `airlabel export` and `airlabel stats`
         * give one row per item, with `item` (its 0-based position) and `row_id` (`"<idx>-<item>"`, stable across
         * resumes and re-exports). Input columns named `item` or `row_id` are refused. Part of the run identity.
         * Defaults to false.
         */
        oneToMany?: boolean;
        /** Shortcut for single-label classification: the answer is one of these strings. Defaults to none. */
        choices?: string[];
        /** A kept column holding a non-negative integer that replaces `idx` in each row's first-attempt seed (`seed + value`); `generate()` uses its `sample` column. Defaults to none (`seed + idx`). */
        seedColumn?: string;
        /**
         * One row's time limit in seconds: its generation time, retries included (not the wait for a free sequence or a
         * request slot). A row past it fails (errors/, stage "generate", finish_reason "timeout", the reason naming the
         * limit) and the others go on. Defaults to none.
         */
        rowTimeout?: number;
        /** Retries of an invalid or truncated answer, each with changed sampling. Defaults to 2. */
        retriesInvalid?: number;
        /**
         * Record each answer's confidence in the output's `confidence` column, from the log-probabilities of the tokens
         * that spell it: a label's probability, else the geometric mean of its value tokens' probabilities (see
         * answerConfidence). Local engine: needs airlabel's native build (`npm run build:native`); openai backend: a
         * server that returns `logprobs`. Not with `samples`. Defaults to false.
         */
        confidence?: boolean;
        /**
         * Self-consistency: draw this many answers per row (at the run's temperature, which must be above 0) and keep the
         * majority's, with its vote share in the `confidence` column (see majorityVote). Defaults to 1 (one answer).
         */
        samples?: number;
        /** Grammar-only cap on the length of strings the schema leaves unbounded (no `maxLength`), for models that do not end their strings by themselves; not schema semantics. Defaults to none. */
        grammarMaxStringLength?: number;
        /** Grammar-only cap on the items of arrays the schema leaves unbounded (no `maxItems`), likewise. Defaults to none. */
        grammarMaxItems?: number;
        /** Output shard format. Defaults to "jsonl". */
        format?: OutputFormat;
        /** Rows (answers + errors) per committed shard. Defaults to 1000. */
        shardSize?: number;
        /** Delete an existing run in the output dir and start over. Defaults to false. */
        overwrite?: boolean;
        /**
         * Re-attempt exactly the rows whose latest committed row in the run in `output` is an error row, and nothing
         * else. The generation settings (sampling, `maxTokens`, retries, grammar caps, `rowTimeout`, the model and
         * backend) may differ from the run's; what defines the rows (input, template, schema, ...) may not. New rows go
         * to new shards and replace the error rows they retry for every reader; the manifest records each pass
         * (`retries`) with what it changed. Defaults to false.
         */
        retryFailed?: boolean;
        /**
         * With `idColumn`, what a re-run does with a row whose content changed since an earlier run answered it:
         * "regenerate" answers it again (the new row replaces the old one for every reader; committed shards are not
         * rewritten), "keep" keeps the earlier answer. Either way the changed rows are reported. Defaults to "regenerate".
         */
        changedRows?: "regenerate" | "keep";
        /** Parallel sequences per worker (continuous batching). Defaults to 8 on CPU, 32 on a GPU. */
        parallel?: number;
        /** Worker threads, each with its own model instance and context (see also `replicas`). Defaults to 1. */
        workers?: number;
        /** llama.cpp compute threads per worker. Defaults to `AIRLABEL_THREADS`, else on CPU the cores shared by the workers (cores-1 when a worker runs a single sequence; at least 1), llama.cpp's choice on GPU. */
        threads?: number;
        /**
         * Where greedy decoding picks each token (temperature 0 and no penalty or bias; with a schema the grammar then
         * checks that token on the host): "graph" takes the argmax inside the decode, on the device holding the output
         * layer (llama.cpp's backend sampling: no logits row is copied to the host for it), "host" reads every
         * sequence's logits row on the CPU, "auto" is "graph" where the output layer is on a GPU and "host" on CPU
         * (measured: in the graph the CPU decode takes twice as long, see bench/RESULTS.md). The answers are the same.
         * "graph" needs airlabel's native build (`npm run build:native`). Defaults to "auto".
         */
        argmax?: "auto" | "graph" | "host";
        /**
         * Jump-forward: where a schema's grammar forces the next text (keys, punctuation, the rest of an enum value),
         * the tokens that spell it (the tokenizer's split) are appended after the sampled token and decoded in its
         * step instead of one a step. The answers are the same either way: a forced token is taken without logits
         * or a random draw in both. Needs airlabel's native build; the JavaScript decode loop takes forced tokens one
         * a step. Defaults to true.
         */
        jumpForward?: boolean;
        /**
         * Shared prefixes: the prompt prefix the first rows share (the system message and the template up to the
         * first row field) is evaluated once and copied to every sequence (llama.cpp's seq_cp), instead of once per
         * sequence; after a sequence's first row its own prefix reuse keeps it. Needs airlabel's native build.
         * Defaults to true.
         */
        sharePrefix?: boolean;
        /** Compute backend. Defaults to "auto" (CUDA, Metal or Vulkan when available, else CPU). */
        gpu?: GpuChoice;
        /** Layers to offload to the GPU: a number, "max" or "auto". Defaults to "auto". */
        gpuLayers?: number | "max" | "auto";
        /** Context size per sequence in tokens. Defaults to the longest prompt plus `maxTokens`, rounded up. */
        contextSize?: number;
        /** How one model instance spreads over several GPUs (llama.cpp `--split-mode`): "none" keeps it on `mainGpu`, "layer" splits layers, "row" splits rows. Needs the patched native build (`npm run build:native`). Defaults to llama.cpp's ("layer" over every GPU). */
        splitMode?: "none" | "layer" | "row";
        /** Proportions of the model per GPU, one entry per detected GPU (llama.cpp `--tensor-split`, e.g. [3, 1]); normalised to sum to 1. Needs the patched native build. Defaults to proportional to free memory. */
        tensorSplit?: number[];
        /** GPU (index among the detected ones) that holds the whole model with `splitMode` "none", or intermediate results otherwise (llama.cpp `--main-gpu`). Needs the patched native build. Defaults to 0. */
        mainGpu?: number;
        /** llama.cpp device names the model may use, in this order ("CUDA0", as `airlabel inspect --gpus` lists them); `mainGpu` and `tensorSplit` then index this list, and `replicas` spreads over it. Needs the patched native build. Defaults to every GPU found. */
        devices?: string[];
        /** Data parallelism: "per-gpu" runs one worker (model + context) on each detected GPU, a number runs that many workers (round-robin over the GPUs; on CPU they share the cores). Rows are spread over them; the output is the same as with one. Replaces `workers`. Defaults to one worker. */
        replicas?: "per-gpu" | number;
        /**
         * Aborting stops feeding new rows; rows in flight get `stopGraceMs` to finish and are committed, those still
         * generating then are cut off and left for the resume (neither answered nor failed); the call resolves with
         * `stopped: true`. Defaults to none.
         */
        signal?: AbortSignal;
        /** After `signal` aborts, how long rows in flight may still take (milliseconds) before they are cut off. Defaults to 5000. */
        stopGraceMs?: number;
        /** Called after every finished row and at the end with progress figures (keep it cheap). Defaults to none. */
        onProgress?: (progress: AnnotateProgress) => void;
        /**
         * Called with log lines (what was loaded, what was reused); `level` is "warning" for what a user must see even
         * when quiet (a damaged shard or manifest repaired on resume, a server error retried). Defaults to none.
         */
        onLog?: (line: string, level?: LogLevel) => void;
    };

/**
 * Rows made on demand: `length` of them, row `ordinal` from `at(ordinal)`, which must give the same row each time
 * it is asked (rows may be read twice). An array is one.
 */
export type RecordList = {readonly length: number; at(ordinal: number): Record<string, unknown> | undefined};

/** "info": progress facts; "warning": a repair or retry the user should see even with --quiet. */
export type LogLevel = "info" | "warning";

export type AnnotateProgress = {
    /** Rows in the job (after maxRows). */
    totalRows: number;
    /** Rows committed by earlier runs and skipped now. */
    resumedRows: number;
    /** Rows finished in this run (answered or failed). */
    doneRows: number;
    failedRows: number;
    generatedTokens: number;
    promptTokens: number;
    elapsedMs: number;
};

/** How long rows in flight may finish after a stop, unless `stopGraceMs` says otherwise. */
export const DEFAULT_STOP_GRACE_MS = 5000;

export const generationDefaults = {
    maxTokens: 256,
    temperature: 0,
    topP: 1,
    topK: 0,
    minP: 0,
    seed: 0,
    stop: [] as string[],
    repeatPenalty: 1,
    ignoreEos: false
} satisfies Required<GenerationOptions>;
