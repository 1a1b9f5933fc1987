import path from "node:path";
import type {Command} from "commander";
import {InvalidOptionError} from "../../AirlabelError.js";
import {parseParameterCount} from "../../gguf/parseParameterCount.js";
import {maxGeneratedParameters, minGeneratedParameters, writeLlamaGguf, type LlamaGgufType, type WriteLlamaGgufResult} from "../../gguf/writeLlamaGguf.js";
import {formatParameterCount} from "../../gguf/ensureGeneratedModel.js";
import type {ExplicitLlamaShape} from "../../gguf/checkExplicitShape.js";
import {modelFamilies} from "../../gguf/modelFamilies.js";

type ModelCreateCliOptions = {
    output?: string;
    parameters: string;
    type: string;
    seed: string;
    contextLength: string;
    chatTemplate: boolean;
    name?: string;
    tokenizerFrom?: string;
    shape?: string;
    tiedEmbeddings?: boolean;
    json?: boolean;
};

const modelTypes: readonly LlamaGgufType[] = ["f16", "q8_0", "f32"];

/** Registers `airlabel model create`: writes a llama GGUF model with deterministic random weights. */
export function registerModelCommand(program: Command): void {
    const model = program.command("model").description("work with GGUF models");

    model
        .command("create")
        .description(
            "generate a llama-architecture GGUF model with deterministic random weights, " +
                "for tests, demos and benchmarks without downloading anything (its answers are meaningless)"
        )
        .option("-o, --output <file>", "the .gguf file to write (replaced atomically if it exists)")
        .option("-p, --parameters <count>", "target parameter count, e.g. 1M, 85M, 1.5B or 250000", "1M")
        .option("-t, --type <type>", "weight type: f16, q8_0 or f32 (norms are always f32)", "f16")
        .option("--seed <n>", "seed of the weights; the same seed and options give an identical file", "42")
        .option("--context-length <n>", "training context length written to the model", "4096")
        .option("--no-chat-template", "leave out the ChatML chat template")
        .option("--name <name>", "general.name of the model (default: airlabel-random-<parameters>-<type>-s<seed>)")
        .option(
            "--tokenizer-from <gguf>",
            "copy the tokenizer (and its chat template) from this GGUF: a model, or a vocabulary file such as llama.cpp's models/ggml-vocab-llama-bpe.gguf"
        )
        .option(
            "--shape <shape>",
            `an exact shape instead of --parameters: a family (${Object.keys(modelFamilies).join(", ")}) or width,layers,heads,kv-heads,ffn`
        )
        .option("--tied-embeddings", "no separate output matrix: the output projection is the token embedding (families set their own)")
        .option("--json", "print the result as JSON to stdout")
        .addHelpText(
            "after",
            [
                "",
                "Examples:",
                "  $ airlabel model create --output models/test.gguf",
                "  $ airlabel model create --output bench-100m.gguf --parameters 100M --type q8_0 --json",
                "  $ airlabel model create --output llama3-narrow.gguf --shape 128,2,4,4,256 \\",
                "      --tokenizer-from node_modules/node-llama-cpp/llama/llama.cpp/models/ggml-vocab-llama-bpe.gguf",
                "  $ airlabel model create --output llama3-1b.gguf --shape llama-3.2-1b --tokenizer-from <llama 3 vocabulary gguf>",
                "",
                "The shape (width, layers, heads, FFN) is derived from --parameters unless --shape gives it; the exact count is printed."
            ].join("\n")
        )
        .action(async (options: ModelCreateCliOptions) => {
            const startTime = performance.now();
            const result = await writeLlamaGguf(resolveCreateOptions(options));
            const seconds = (performance.now() - startTime) / 1000;

            process.stderr.write(formatSummary(result, seconds) + "\n");
            if (options.json) process.stdout.write(JSON.stringify(result) + "\n");
        });
}

function resolveCreateOptions(options: ModelCreateCliOptions) {
    if (options.output == null || options.output.trim() === "")
        throw new InvalidOptionError("--output is required: pass the .gguf file to write, e.g. --output models/test.gguf");

    const shape = options.shape !== undefined ? parseShape(options.shape) : undefined;
    let parameters: number;
    try {
        parameters = parseParameterCount(options.parameters);
    } catch {
        throw new InvalidOptionError("--parameters must be a positive count such as 1M or 250000");
    }
    if (shape === undefined && (parameters < minGeneratedParameters || parameters > maxGeneratedParameters))
        throw new InvalidOptionError(
            `--parameters must be from ${formatParameterCount(minGeneratedParameters)} to ${formatParameterCount(maxGeneratedParameters)}, ` +
                `got ${options.parameters}`
        );

    const type = options.type.toLowerCase() as LlamaGgufType;
    if (!modelTypes.includes(type)) throw new InvalidOptionError(`--type must be one of ${modelTypes.join(", ")}`);

    if (!/^\d+$/.test(options.seed.trim()) || !Number.isSafeInteger(Number(options.seed)))
        throw new InvalidOptionError("--seed must be a non-negative integer");

    const contextLength = Number(options.contextLength);
    if (!/^\d+$/.test(options.contextLength.trim()) || !Number.isSafeInteger(contextLength) || contextLength <= 0 || contextLength > 0xffffffff)
        throw new InvalidOptionError("--context-length must be a positive integer");

    return {
        path: options.output,
        parameters,
        type,
        seed: Number(options.seed),
        contextLength,
        chatTemplate: options.chatTemplate,
        name: options.name,
        ...(options.tokenizerFrom !== undefined ? {tokenizerFrom: options.tokenizerFrom} : {}),
        ...(shape !== undefined
            ? {shape: shape.shape, tiedEmbeddings: options.tiedEmbeddings ?? shape.tiedEmbeddings}
            : {tiedEmbeddings: options.tiedEmbeddings ?? false})
    };
}

function parseShape(text: string): {shape: ExplicitLlamaShape; tiedEmbeddings: boolean} {
    const family = modelFamilies[text.trim().toLowerCase()];
    if (family !== undefined) return {shape: family.shape, tiedEmbeddings: family.tiedEmbeddings};
    const parts = text.split(",").map((part) => part.trim());
    if (parts.length !== 5 || !parts.every((part) => /^\d+$/.test(part)))
        throw new InvalidOptionError(
            `--shape must be a family (${Object.keys(modelFamilies).join(", ")}) or width,layers,heads,kv-heads,ffn such as 128,2,4,4,256, got ${JSON.stringify(text)}`
        );
    const [embedding, layers, heads, headsKv, feedForward] = parts.map(Number) as [number, number, number, number, number];
    return {shape: {embedding, layers, heads, headsKv, feedForward}, tiedEmbeddings: false};
}

function formatSummary(result: WriteLlamaGgufResult, seconds: number): string {
    const {shape} = result;
    const megabytes = (result.bytes / 1024 / 1024).toFixed(1);

    return (
        `Created ${path.relative(process.cwd(), result.path) || result.path}: ` +
        `${result.parameters.toLocaleString("en-US")} parameters, ${result.type}, ${megabytes} MiB ` +
        `(embedding ${shape.embedding}, ${shape.layers} layers, ${shape.heads} heads / ${shape.headsKv} kv, ` +
        `ffn ${shape.feedForward}, vocabulary ${shape.vocabulary}${result.tokenizer !== "airlabel" ? ` from ${result.tokenizer}` : ""}` +
        `${result.tiedEmbeddings ? ", tied embeddings" : ""}, context ${shape.contextLength}) in ${seconds.toFixed(1)}s`
    );
}
