import {DEFAULT_STOP_GRACE_MS, generationDefaults, type AnnotateOptions, type GenerationOptions} from "./AnnotateOptions.js";
import {
    checkOption as check,
    isFiniteNumber,
    isNonNegativeInteger,
    isPositiveInteger,
    oneOf,
    optionalNonNegativeInteger,
    optionalPositiveInteger
} from "./checkOption.js";
import {validateBackendOptions, type ResolvedBackend} from "./validateBackendOptions.js";
import {validateParams} from "./generationParams.js";
import type {PlacementRequest} from "./PlacementRequest.js";
import {validatePlacementOptions} from "./validatePlacementOptions.js";

export type ResolvedAnnotateOptions = AnnotateOptions &
    Required<
        Pick<
            AnnotateOptions,
            | "template"
            | "templateOrigin"
            | "chatTemplate"
            | "sort"
            | "dedup"
            | "skipInvalidRows"
            | "retriesInvalid"
            | "format"
            | "shardSize"
            | "overwrite"
            | "retryFailed"
            | "changedRows"
            | "workers"
            | "gpu"
            | "gpuLayers"
            | "schemaOrigin"
            | "stopGraceMs"
        >
    > & {generation: Required<GenerationOptions>; resolvedBackend: ResolvedBackend; placement: PlacementRequest};

/**
 * Validates options at the boundary, with one exact message per rule, and fills in defaults.
 * Every message is tested in test/options/validateAnnotateOptions.test.ts.
 */
export function validateAnnotateOptions(options: AnnotateOptions): ResolvedAnnotateOptions {
    check(typeof options === "object" && options !== null, "options must be an object");
    check(typeof options.input === "string" && options.input.length > 0, "options.input must be a non-empty string");
    check(typeof options.model === "string" && options.model.length > 0, "options.model must be a non-empty string");
    check(typeof options.output === "string" && options.output.length > 0, "options.output must be a non-empty string");
    checkRowOptions(options);
    checkAnswerOptions(options);
    checkRunOptions(options);
    const envThreads = checkEngineOptions(options);
    const generation = resolvedGeneration(options);

    // placement: shape and combinations here; what needs the GPUs found is checked before loading (resolvePlacement)
    const placement = validatePlacementOptions(options);

    const resolvedBackend = validateBackendOptions(options);
    // after the backend: which parameters are taken depends on it
    const params = validateParams(options.params, resolvedBackend.remote !== null);
    check(
        options.argmax === undefined || resolvedBackend.remote === null,
        "options.argmax places the local engine's greedy sampling; the openai backend's server samples on its own (remove it)"
    );

    return {
        ...options,
        resolvedBackend,
        placement,
        template: options.template ?? "{text}",
        templateOrigin: options.templateOrigin ?? "template",
        schemaOrigin: options.schemaOrigin ?? "schema",
        chatTemplate: oneOf("chatTemplate", options.chatTemplate, ["auto", "none"], "auto"),
        sort: oneOf("sort", options.sort, ["shortest", "longest", "none"], "longest"),
        format: oneOf("format", options.format, ["jsonl", "parquet", "arrow"], "jsonl"),
        gpu: oneOf("gpu", options.gpu, ["auto", "cuda", "metal", "vulkan", "cpu"], "auto"),
        argmax: oneOf("argmax", options.argmax, ["auto", "graph", "host"] as const, "auto"),
        jumpForward: options.jumpForward ?? true,
        sharePrefix: options.sharePrefix ?? true,
        dedup: options.dedup ?? false,
        skipInvalidRows: options.skipInvalidRows ?? false,
        retriesInvalid: options.retriesInvalid ?? 2,
        shardSize: options.shardSize ?? 1000,
        overwrite: options.overwrite ?? false,
        retryFailed: options.retryFailed ?? false,
        changedRows: oneOf("changedRows", options.changedRows, ["regenerate", "keep"], "regenerate"),
        stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
        workers: options.workers ?? 1,
        // the environment's default for every run of this machine or shell (several processes sharing the cores)
        ...(options.threads === undefined && envThreads !== undefined && envThreads !== "" ? {threads: Number(envThreads)} : {}),
        gpuLayers: options.gpuLayers ?? "auto",
        // set only when true, so that `false` and no option are the same run (and runs from before it still resume)
        oneToMany: options.oneToMany === true ? true : undefined,
        // sorted keys, none when empty (so `{}` and no params are the same run)
        params,
        generation
    };
}

/** The input, row, template, hook and few-shot options. */
function checkRowOptions(options: AnnotateOptions): void {
    check(options.template === undefined || typeof options.template === "string", "options.template must be a string");
    check(options.system === undefined || typeof options.system === "string", "options.system must be a string");
    check(
        options.keepColumns === undefined || (Array.isArray(options.keepColumns) && options.keepColumns.every((c) => typeof c === "string")),
        "options.keepColumns must be an array of strings"
    );
    optionalPositiveInteger("maxRows", options.maxRows);
    optionalNonNegativeInteger("shuffleSeed", options.shuffleSeed);
    check(
        options.records === undefined ||
            (Array.isArray(options.records)
                ? options.records.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))
                : typeof options.records === "object" &&
                  options.records !== null &&
                  isNonNegativeInteger(options.records.length) &&
                  typeof options.records.at === "function"),
        "options.records must be an array of objects, or a record list ({length, at(ordinal)})"
    );
    check(options.hooks === undefined || (typeof options.hooks === "string" && options.hooks.length > 0), "options.hooks must be the path of an ES module");
    check(
        options.examples === undefined ||
            (typeof options.examples === "string" && options.examples.length > 0) ||
            (Array.isArray(options.examples) && options.examples.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))),
        "options.examples must be the path of a dataset file or an array of objects"
    );
    check(
        options.examplesAnswerColumn === undefined || (typeof options.examplesAnswerColumn === "string" && options.examplesAnswerColumn.length > 0),
        "options.examplesAnswerColumn must be a non-empty string"
    );
    optionalPositiveInteger("hookTimeoutMs", options.hookTimeoutMs);
    optionalNonNegativeInteger("stopGraceMs", options.stopGraceMs);
    check(
        options.rowTimeout === undefined || (isFiniteNumber(options.rowTimeout) && options.rowTimeout > 0),
        "options.rowTimeout must be a number of seconds > 0"
    );
    check(
        options.seedColumn === undefined || (typeof options.seedColumn === "string" && options.seedColumn.length > 0),
        "options.seedColumn must be a non-empty string"
    );
}

/** What an answer must be (schema or choices), its retries, confidence and samples, the grammar caps. */
function checkAnswerOptions(options: AnnotateOptions): void {
    check(
        options.schema === undefined ||
            typeof options.schema === "boolean" ||
            (typeof options.schema === "object" && options.schema !== null && !Array.isArray(options.schema)),
        "options.schema must be a JSON Schema object"
    );
    check(
        options.choices === undefined ||
            (Array.isArray(options.choices) &&
                options.choices.length >= 2 &&
                options.choices.every((c) => typeof c === "string" && c.length > 0) &&
                new Set(options.choices).size === options.choices.length),
        "options.choices must be at least two distinct non-empty strings"
    );
    check(options.schema === undefined || options.choices === undefined, "options.schema and options.choices cannot be used together");
    optionalNonNegativeInteger("retriesInvalid", options.retriesInvalid);
    check(options.confidence === undefined || typeof options.confidence === "boolean", "options.confidence must be true or false");
    check(options.jumpForward === undefined || typeof options.jumpForward === "boolean", "options.jumpForward must be true or false");
    check(options.sharePrefix === undefined || typeof options.sharePrefix === "boolean", "options.sharePrefix must be true or false");
    optionalPositiveInteger("samples", options.samples);
    check(
        options.samples === undefined || options.samples === 1 || options.confidence !== true,
        "options.confidence and options.samples cannot be used together (with samples, the confidence is the vote share)"
    );
    optionalPositiveInteger("grammarMaxStringLength", options.grammarMaxStringLength);
    optionalPositiveInteger("grammarMaxItems", options.grammarMaxItems);
}

/** How the run keys, renames, excludes, skips and retries rows, and its shards. */
function checkRunOptions(options: AnnotateOptions): void {
    optionalPositiveInteger("shardSize", options.shardSize);
    check(
        options.idColumn === undefined || (typeof options.idColumn === "string" && options.idColumn.length > 0),
        "options.idColumn must be a non-empty string"
    );
    check(
        options.idColumn === undefined || options.idxColumn === undefined,
        "options.idColumn and options.idxColumn cannot be used together (an idx column already keys the rows)"
    );
    check(
        options.rename === undefined ||
            (typeof options.rename === "object" &&
                options.rename !== null &&
                Object.entries(options.rename).every(([from, to]) => from !== "" && typeof to === "string" && to !== "") &&
                new Set(Object.values(options.rename)).size === Object.keys(options.rename).length),
        "options.rename must map column names to distinct non-empty new names"
    );
    check(
        options.exclude === undefined || (Array.isArray(options.exclude) && options.exclude.every((p) => typeof p === "string" && p !== "")),
        "options.exclude must be an array of paths"
    );
    check(options.skipEmpty === undefined || typeof options.skipEmpty === "boolean", "options.skipEmpty must be a boolean");
    check(options.oneToMany === undefined || typeof options.oneToMany === "boolean", "options.oneToMany must be a boolean");
    check(options.retryFailed === undefined || typeof options.retryFailed === "boolean", "options.retryFailed must be a boolean");
    check(
        options.retryFailed !== true || options.overwrite !== true,
        "options.retryFailed and options.overwrite cannot be used together (--overwrite starts over, --retry-failed keeps the run)"
    );
}

/** The engine's sizes and threads; returns AIRLABEL_THREADS as checked. */
function checkEngineOptions(options: AnnotateOptions): string | undefined {
    optionalPositiveInteger("parallel", options.parallel);
    optionalPositiveInteger("workers", options.workers);
    optionalPositiveInteger("threads", options.threads);
    const envThreads = process.env.AIRLABEL_THREADS;
    check(
        envThreads === undefined || envThreads === "" || isPositiveInteger(Number(envThreads)),
        `AIRLABEL_THREADS must be a positive integer (got "${envThreads}")`
    );
    check(
        options.contextSize === undefined || (isPositiveInteger(options.contextSize) && options.contextSize >= 64),
        "options.contextSize must be an integer of at least 64"
    );
    check(
        options.gpuLayers === undefined || options.gpuLayers === "auto" || options.gpuLayers === "max" || isNonNegativeInteger(options.gpuLayers),
        'options.gpuLayers must be a non-negative integer, "max" or "auto"'
    );
    return envThreads;
}

/** The generation options over their defaults, checked (samples need a temperature above 0). */
function resolvedGeneration(options: AnnotateOptions): ResolvedAnnotateOptions["generation"] {
    const generation = {
        ...generationDefaults,
        ...definedOnly({
            maxTokens: options.maxTokens,
            temperature: options.temperature,
            topP: options.topP,
            topK: options.topK,
            minP: options.minP,
            seed: options.seed,
            stop: options.stop,
            repeatPenalty: options.repeatPenalty,
            ignoreEos: options.ignoreEos
        })
    };
    check(isPositiveInteger(generation.maxTokens), "options.maxTokens must be a positive integer");
    check(isFiniteNumber(generation.temperature) && generation.temperature >= 0, "options.temperature must be a number >= 0");
    check(
        (options.samples ?? 1) <= 1 || generation.temperature > 0,
        `options.samples (${options.samples}) needs options.temperature above 0: at temperature 0 every sample is the same answer`
    );
    check(isFiniteNumber(generation.topP) && generation.topP > 0 && generation.topP <= 1, "options.topP must be a number in (0, 1]");
    check(isNonNegativeInteger(generation.topK), "options.topK must be a non-negative integer");
    check(isFiniteNumber(generation.minP) && generation.minP >= 0 && generation.minP <= 1, "options.minP must be a number in [0, 1]");
    check(isNonNegativeInteger(generation.seed), "options.seed must be a non-negative integer");
    check(
        Array.isArray(generation.stop) && generation.stop.every((s) => typeof s === "string" && s.length > 0),
        "options.stop must be an array of non-empty strings"
    );
    check(isFiniteNumber(generation.repeatPenalty) && generation.repeatPenalty > 0, "options.repeatPenalty must be a number > 0");
    check(typeof generation.ignoreEos === "boolean", "options.ignoreEos must be a boolean");
    return generation;
}

function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
    return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
