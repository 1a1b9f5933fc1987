import {Option, type Command} from "commander";
import {InvalidOptionError} from "../AirlabelError.js";

/** Adds the options shared by `run` and `prepare` (and read from `--config`). */
export function addJobOptions(command: Command): Command {
    return command
        .option("-i, --input <dataset>", "dataset: .jsonl .json .csv .tsv .parquet .arrow file, folder, glob, HF save_to_disk folder, or - for stdin")
        .option(
            "-m, --model <file.gguf|name>",
            "GGUF model file (with --backend openai: the server's model name); run: repeat it to compare models on the same rows",
            collectModel
        )
        .addOption(
            new Option(
                "--backend <backend>",
                "local: run the GGUF in-process (default); openai (alias vllm): an OpenAI-compatible server at --base-url"
            ).choices(["local", "openai", "vllm"])
        )
        .option("--base-url <url>", "openai backend: the server's API root, e.g. http://host:8000/v1")
        .option("-o, --output <dir>", "output directory (shards, manifest, cache)")
        .option("-c, --config <job.json|job.yaml>", "job file holding these options (camelCase keys); flags override it")
        .option("-t, --template <file>", 'prompt template file with {field} / {field.sub} placeholders (default: "{text}")')
        .option("-p, --prompt <template>", "prompt template given inline instead of --template")
        .option("--system <text>", "system message (used with the model's chat template)")
        .option("--system-file <file>", "system message read from a file")
        .option(
            "--examples <file>",
            "few-shot examples (.jsonl/.json/.csv): each rendered with the template as a user turn, its answer column as the assistant's, before every row's prompt"
        )
        .option("--examples-answer-column <name>", 'the column of --examples holding each example\'s answer (default "answer")')
        .option("--chat-template <mode>", "auto: use the GGUF's chat template if it has one; none: raw completion")
        .option("--input-format <format>", "input format when it cannot be told from the name: jsonl|json|csv|tsv|parquet|arrow")
        .option("--keep-columns <names>", 'comma-separated input columns to copy to the output (default: all; "" for none)')
        .option("--max-rows <n>", "only the first N rows (after --shuffle-seed)", toInteger)
        .option("--shuffle-seed <n>", "shuffle rows with this seed before --max-rows", toInteger)
        .addOption(new Option("--sort <order>", "generation order by prompt token count").choices(["shortest", "longest", "none"]))
        .option("--dedup", "rows whose prompt repeats an earlier row's go to the errors file instead of being generated")
        .option("--skip-invalid-rows", "record malformed input rows in the errors file instead of stopping")
        .option("--rename <old:new,...>", "rename input columns before the template, hooks and --keep-columns see them, e.g. --rename review:text")
        .option(
            "--exclude <path>",
            "skip rows seen before (to errors/): their text's Prodigy input hash is in this output dir, Prodigy or Argilla export, or dataset (repeatable)",
            collect
        )
        .option("--skip-empty", "rows whose template fields are empty or whitespace go to the errors file instead of being annotated")
        .option(
            "--id-column <name>",
            "the input's own unique id column: a re-run matches answered rows by it and finds changed ones (default: by each row's content)"
        )
        .option("--hooks <hooks.mjs>", "ES module exporting prompt(row), validate(row, answer) and/or parse(row, answer) hooks")
        .option("--hook-timeout-ms <ms>", "time limit of one hook call; a slower hook fails its row (default 30000)", toInteger);
}

/** Adds the generation, engine and output options of `run`. */
export function addRunOptions(command: Command): Command {
    return addGenerationOptions(addJobOptions(command));
}

/**
 * Adds the generation, engine and output options (`run`, `generate`). `--jump-forward` and `--share-prefix` are
 * hidden: with a negated flag alone commander defaults the option to true, over a job file's false.
 */
export function addGenerationOptions(command: Command): Command {
    return command
        .option("-s, --schema <file.json>", "JSON Schema every answer must match (grammar-constrained, then validated)")
        .option("--choices <a,b,c>", "single-label classification: the answer is one of these")
        .option("--max-tokens <n>", "maximum generated tokens per answer (default 256)", toInteger)
        .option("--temperature <t>", "sampling temperature, 0 = greedy (default 0)", toNumber)
        .option("--top-p <p>", "nucleus sampling (default 1 = off)", toNumber)
        .option("--top-k <k>", "top-k sampling (default 0 = off)", toInteger)
        .option("--min-p <p>", "min-p sampling (default 0 = off)", toNumber)
        .option("--seed <n>", "base seed; row idx is added (default 0)", toInteger)
        .option("--stop <string>", "stop string (repeatable)", collect)
        .option("--repeat-penalty <x>", "repeat penalty (default 1 = off)", toNumber)
        .option("--ignore-eos", "free text only: keep generating to --max-tokens through end-of-generation tokens (benchmarks)")
        .option(
            "--param <key=value>",
            "generation parameter without a flag of its own, by its request name, value as JSON or else a string (repeatable): openai backend: any (logit_bias, chat_template_kwargs, min_tokens, ...); local: presence_penalty, frequency_penalty, repeat_last_n, logit_bias",
            collect
        )
        .option("--retries-invalid <n>", "retries of an invalid or truncated answer, with changed sampling (default 2)", toInteger)
        .option(
            "--confidence",
            "record each answer's confidence (0..1) in a confidence column: the label's probability, else the geometric mean of its value tokens' (from token log-probabilities)"
        )
        .option(
            "--samples <n>",
            "self-consistency: draw n answers per row (needs --temperature > 0), keep the majority's, its vote share in the confidence column",
            toInteger
        )
        .option(
            "--row-timeout <seconds>",
            "one row's time limit (its generation, retries included); a row past it goes to errors/ with finish_reason timeout (default none)",
            toNumber
        )
        .option(
            "--grammar-max-string-length <n>",
            "grammar-only cap on strings the schema leaves unbounded, for models that never end a string (default none)",
            toInteger
        )
        .option("--grammar-max-items <n>", "grammar-only cap on arrays the schema leaves unbounded (default none)", toInteger)
        .addOption(new Option("--format <format>", "output shard format (default jsonl)").choices(["jsonl", "parquet", "arrow"]))
        .option("--shard-size <n>", "rows per committed shard (default 1000)", toInteger)
        .option("--overwrite", "delete an existing run in the output dir and start over")
        .addOption(
            new Option(
                "--changed-rows <what>",
                "with --id-column: rows changed since answered are answered again, or keep their answer (default regenerate)"
            ).choices(["regenerate", "keep"])
        )
        .option(
            "--one-to-many",
            'the answer (after the parse hook) is a list of output rows: export, stats and readOutput give one row per item, with item and row_id ("<idx>-<item>")'
        )
        .option(
            "--retry-failed",
            "attempt again exactly the rows in errors/ of the run in --output, with the generation settings given now (max tokens, sampling, caps, model)"
        )
        .option("--parallel <n>", "parallel sequences per worker (default 8)", toInteger)
        .option("--workers <n>", "worker threads, each with its own model instance (default 1)", toInteger)
        .option(
            "--threads <n>",
            "llama.cpp threads per worker (default on CPU: all cores with several sequences, cores-1 with one; or $AIRLABEL_THREADS)",
            toInteger
        )
        .addOption(new Option("--gpu <backend>", "compute backend (default auto)").choices(["auto", "cuda", "metal", "vulkan", "cpu"]))
        .addOption(
            new Option(
                "--argmax <where>",
                "where greedy decoding picks tokens: graph (inside the decode, on the GPU holding the output layer: no logits copied out), host (the CPU reads each logits row), auto (graph where the output layer is on a GPU; default)"
            ).choices(["auto", "graph", "host"])
        )
        .addOption(new Option("--jump-forward").hideHelp())
        .option(
            "--no-jump-forward",
            "decode the tokens a schema forces (keys, punctuation, the rest of an enum value) one a step instead of with the token before them (same answers, more steps)"
        )
        .addOption(new Option("--share-prefix").hideHelp())
        .option(
            "--no-share-prefix",
            "evaluate the prompt prefix the first rows share (system message, template) on every sequence instead of once, copied (same answers)"
        )
        .option("--gpu-layers <n|max|auto>", "layers to offload to the GPU (default auto)")
        .option("--context-size <n>", "context size per sequence (default: longest prompt + max tokens)", toInteger)
        .addOption(
            new Option(
                "--split-mode <mode>",
                "how one model spreads over several GPUs: none (all on --main-gpu), layer, row (needs the patched native build: npm run build:native)"
            ).choices(["none", "layer", "row"])
        )
        .option("--tensor-split <ratios>", "model proportions per GPU, one per detected GPU, e.g. 3,1 (normalised; needs the patched native build)")
        .option(
            "--main-gpu <n>",
            "GPU index (see airlabel inspect --gpus) holding the model with --split-mode none (needs the patched native build)",
            toInteger
        )
        .option("--devices <names>", "llama.cpp devices the model may use, e.g. CUDA0,CUDA2 (see airlabel inspect --gpus; needs the patched native build)")
        .option(
            "--replicas <per-gpu|n>",
            "data parallelism: one worker (model + context) per GPU, or n workers; rows are spread over them (replaces --workers)"
        )
        .option("--api-key-env <VAR>", "openai backend: environment variable holding the API key (sent only to --base-url)")
        .option("--api-key-file <file>", "openai backend: file holding the API key on its first line")
        .addOption(
            new Option("--endpoint <endpoint>", "openai backend: chat (server's chat template, default) or completions (raw prompt)").choices([
                "chat",
                "completions"
            ])
        )
        .option("--stream", "openai backend: streamed answers (measures time to first token)")
        .option("--concurrency <n>", "openai backend: requests in flight (default 64)", toInteger)
        .option("--max-requests-per-minute <n>", "openai backend: rate limit on requests (default none)", toInteger)
        .option("--max-tokens-per-minute <n>", "openai backend: rate limit on estimated prompt + max tokens (default none)", toInteger)
        .option("--request-timeout-ms <ms>", "openai backend: one request's time limit before it is retried (default 600000)", toInteger)
        .option("--max-request-attempts <n>", "openai backend: attempts per request on connection errors, timeouts, 408, 429, 5xx (default 6)", toInteger)
        .option("--retry-base-delay-ms <ms>", "openai backend: first retry delay, doubled per retry with jitter, unless Retry-After (default 500)", toInteger)
        .option("--retry-max-delay-ms <ms>", "openai backend: longest wait between attempts (default 60000)", toInteger)
        .option(
            "--stop-grace-ms <ms>",
            "after SIGINT/SIGTERM, how long rows in flight may still finish; then they are cut off and left for the resume (default 5000)",
            toInteger
        )
        .option("-q, --quiet", "nothing on stderr but errors and warnings (no progress, no summary)")
        .option("--json", "print the run summary as JSON on stdout")
        .option("--fail-on-errors", "exit with code 3 when any row of the output ended in errors/ (earlier runs included), after committing everything");
}

/** `--model a --model b` collects a list; one `--model` stays a string. */
function collectModel(value: string, previous: string | string[] | undefined): string | string[] {
    return previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
}

export function toInteger(value: string): number {
    if (!/^-?\d+$/u.test(value.trim())) throw new InvalidOptionError(`"${value}" is not an integer`);
    return Number(value);
}

function toNumber(value: string): number {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number)) throw new InvalidOptionError(`"${value}" is not a number`);
    return number;
}

function collect(value: string, previous: string[] | undefined): string[] {
    return [...(previous ?? []), value];
}
