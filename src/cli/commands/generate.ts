import {Option, type Command} from "commander";
import {InvalidOptionError} from "../../AirlabelError.js";
import type {GenerateOptions} from "../../options/GenerateOptions.js";
import {generate} from "../../pipeline/generate.js";
import {mergeJobConfig, readText, resolveMergedOptions, type RunOutputOptions} from "../../jobs/jobOptions.js";
import {addGenerationOptions, toInteger} from "../jobOptions.js";
import {printSummary, progressHooks, runWithSignals} from "./run.js";
import {exitOnErrorRows} from "../exitOnErrorRows.js";

export function registerGenerateCommand(program: Command): void {
    const command = program
        .command("generate")
        .description(
            "generate a dataset from prompts alone: --count samples of each prompt, each with its own seed (resumable: re-run the same command to continue)"
        )
        .option("--prompt <text>", "a prompt (repeatable)", (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .option("--prompts <file>", 'prompts file: one prompt per line, or .jsonl with a JSON string or {"prompt": ...} per line')
        .option("-n, --count <n>", "samples per prompt; sample s uses seed --seed + s (default 1)", toInteger)
        .option("--prefix <text>", "text put before every prompt, evaluated once per engine sequence (a newline follows unless it ends with whitespace)")
        .option("--prefix-file <file>", "the prefix read from a file")
        .option("-m, --model <file.gguf|name>", "GGUF model file (with --backend openai: the server's model name)")
        .addOption(
            new Option(
                "--backend <backend>",
                "local: run the GGUF in-process (default); openai (alias vllm): an OpenAI-compatible server at --base-url"
            ).choices(["local", "openai", "vllm"])
        )
        .option("--base-url <url>", "openai backend: the server's API root, e.g. http://host:8000/v1")
        .option("-o, --output <dir>", "output directory (shards, manifest)")
        .option("-c, --config <job.json|job.yaml>", "job file holding these options (camelCase keys: prompt, prompts, count, prefix, ...); flags override it")
        .option("--system <text>", "system message (used with the model's chat template)")
        .option("--system-file <file>", "system message read from a file")
        .option("--chat-template <mode>", "auto: use the GGUF's chat template if it has one; none: raw completion")
        .addOption(new Option("--sort <order>", "generation order by prompt token count").choices(["shortest", "longest", "none"]))
        .option("--hooks <hooks.mjs>", "ES module exporting prompt(row), validate(row, answer) and/or parse(row, answer) hooks")
        .option("--hook-timeout-ms <ms>", "time limit of one hook call; a slower hook fails its row (default 30000)", toInteger);
    addGenerationOptions(command);
    const temperature = command.options.find((option) => option.long === "--temperature");
    if (temperature !== undefined)
        temperature.description = "sampling temperature (default 0.8; 0 = greedy is refused with --count > 1: the samples would be identical)";
    command.addHelpText(
        "after",
        `
Rows: idx = prompt_idx * count + sample; each row has prompt, prompt_idx, sample and the annotation.

Examples:
  $ airlabel generate --prompt "Write a haiku about rain" --count 8 -m model.gguf -o out/haiku --max-tokens 64
  $ airlabel generate --prompts prompts.txt --count 4 -m model.gguf -o out/qa -s qa.schema.json --prefix-file instructions.txt
  $ airlabel generate --prompts prompts.jsonl --count 2 -m model.gguf -o out/checked --hooks hooks.mjs --seed 100`
    );
    command.action(async (flags: Record<string, unknown>) => {
        const options = resolveGenerateOptions(flags);
        const result = await runWithSignals((signal) => generate({...options, signal, ...progressHooks(options.quiet === true)}));
        printSummary(result, options.json === true, options.quiet === true);
        if (options.json !== true && options.quiet !== true && result.backend === "local" && result.promptTokens > 0)
            process.stderr.write(
                `airlabel: prompt reuse: ${result.evaluatedPromptTokens} of ${result.promptTokens} prompt tokens evaluated (each sequence keeps the prefix it shares with its previous row)\n`
            );
        if (result.stopped) process.exitCode = 130;
        else await exitOnErrorRows(options.failOnErrors, [options.output]);
    });
}

function resolveGenerateOptions(flags: Record<string, unknown>): GenerateOptions & RunOutputOptions {
    const {prompt, prompts, count, prefix, prefixFile, ...rest} = mergeJobConfig(flags);
    if (prompt !== undefined && prompts !== undefined) throw new InvalidOptionError("--prompt and --prompts cannot be used together; give the prompts one way");
    if (prompt === undefined && prompts === undefined) throw new InvalidOptionError('generate needs prompts: --prompt "..." (repeatable) or --prompts file');
    if (prefix !== undefined && prefixFile !== undefined)
        throw new InvalidOptionError("--prefix and --prefix-file cannot be used together; give the prefix one way");
    if (prompt !== undefined && !(typeof prompt === "string" || (Array.isArray(prompt) && prompt.every((p) => typeof p === "string"))))
        throw new InvalidOptionError('"prompt" in the --config file must be a string or a list of strings');
    for (const [name, value] of [
        ["prompts", prompts],
        ["prefix", prefix],
        ["prefixFile", prefixFile]
    ] as const) {
        if (value !== undefined && typeof value !== "string") throw new InvalidOptionError(`"${name}" in the --config file must be a string`);
    }
    const resolved = resolveMergedOptions(rest, ["model", "output"]);
    const {input: _input, template: _template, templateOrigin: _origin, ...options} = resolved;
    return {
        ...options,
        ...(prompt !== undefined ? {prompts: typeof prompt === "string" ? [prompt] : (prompt as string[])} : {promptsFile: prompts as string}),
        ...(count !== undefined ? {count: count as number} : {}),
        ...(prefix !== undefined ? {prefix: prefix as string} : prefixFile !== undefined ? {prefix: readText(prefixFile as string, "--prefix-file")} : {})
    };
}
