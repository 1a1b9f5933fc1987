import {canonicalJson} from "../canonicalJson.js";
import {checkOption as check, isFiniteNumber, isNonNegativeInteger} from "./checkOption.js";

/**
 * Request fields airlabel sets itself, with the option to use instead: a `params` entry naming one is refused (it
 * would override or contradict what airlabel sends, records and validates).
 */
export const RESERVED_PARAMS: Readonly<Record<string, string>> = {
    model: "--model",
    messages: "--template, --prompt or --system",
    prompt: "--template or --prompt",
    max_tokens: "--max-tokens",
    max_completion_tokens: "--max-tokens",
    temperature: "--temperature",
    top_p: "--top-p",
    top_k: "--top-k",
    min_p: "--min-p",
    seed: "--seed",
    stop: "--stop",
    repetition_penalty: "--repeat-penalty",
    repeat_penalty: "--repeat-penalty",
    ignore_eos: "--ignore-eos",
    response_format: "--schema or --choices",
    structured_outputs: "--schema or --choices",
    guided_json: "--schema or --choices",
    grammar: "--schema or --choices",
    json_schema: "--schema or --choices",
    stream: "--stream",
    stream_options: "--stream",
    n: "airlabel generate --count",
    logprobs: "--confidence",
    top_logprobs: "--confidence"
};

/** The parameters the local backend (llama.cpp's sampler, through node-llama-cpp) applies; the others are refused. */
export const LOCAL_PARAMS = ["frequency_penalty", "logit_bias", "presence_penalty", "repeat_last_n"] as const;

/** The local backend's share of `params`, as the sampler takes it. */
export type LocalSamplingParams = {
    /** Subtracted from a token's logit once it has appeared in the last `penaltyLastN` generated tokens (`presence_penalty`). */
    presencePenalty?: number;
    /** Subtracted from a token's logit per appearance in the last `penaltyLastN` generated tokens (`frequency_penalty`). */
    frequencyPenalty?: number;
    /** Generated tokens the penalties look back on (`repeat_last_n`). Defaults to 64. */
    penaltyLastN?: number;
    /** Token id and bias added to its logit (`logit_bias`); -Infinity bans the token. */
    logitBias?: [token: number, bias: number][];
};

/** How many generated tokens the repeat, presence and frequency penalties look back on unless `repeat_last_n` says otherwise (node-llama-cpp's default). */
export const DEFAULT_PENALTY_LAST_N = 64;

/**
 * `options.params` checked at the boundary (one exact message per rule, tested in
 * test/options/validateAnnotateOptions.test.ts): a plain object of JSON values, none naming a field airlabel sets
 * itself, and with the local backend only the parameters it applies. Returned with its keys sorted at every level
 * (so the run identity does not depend on the order they were given in); undefined when there are none.
 */
export function validateParams(params: unknown, remote: boolean): Record<string, unknown> | undefined {
    if (params === undefined) return undefined;
    check(
        typeof params === "object" && params !== null && !Array.isArray(params),
        "options.params must be an object of generation parameters (name: JSON value)"
    );
    for (const [name, value] of Object.entries(params)) {
        const instead = RESERVED_PARAMS[name];
        check(instead === undefined, `options.params.${name} is a field airlabel sets itself; use ${instead} instead`);
        check(isJsonValue(value), `options.params.${name} must be a JSON value (string, number, boolean, null, array or object)`);
        if (!remote) checkLocalParam(name, value);
    }
    if (Object.keys(params).length === 0) return undefined;
    return JSON.parse(canonicalJson(params)) as Record<string, unknown>;
}

function checkLocalParam(name: string, value: unknown): void {
    check(
        (LOCAL_PARAMS as readonly string[]).includes(name),
        `options.params.${name} is not supported by the local backend (llama.cpp); it supports ${LOCAL_PARAMS.join(", ")} (the openai backend sends any parameter)`
    );
    if (name === "presence_penalty" || name === "frequency_penalty") check(isFiniteNumber(value), `options.params.${name} must be a number`);
    if (name === "repeat_last_n") check(isNonNegativeInteger(value), "options.params.repeat_last_n must be a non-negative integer");
    if (name === "logit_bias")
        check(
            typeof value === "object" &&
                value !== null &&
                !Array.isArray(value) &&
                Object.entries(value).every(([token, bias]) => /^(0|[1-9]\d*)$/u.test(token) && (isFiniteNumber(bias) || bias === false)),
            'options.params.logit_bias must be an object of token id: bias (a number added to the logit, or false to ban the token), e.g. {"15043": -100}'
        );
}

/** The local backend's sampler settings from validated `params` (see {@link validateParams}). */
export function localSamplingParams(params: Record<string, unknown> | undefined): LocalSamplingParams {
    if (params === undefined) return {};
    const bias = params.logit_bias as Record<string, number | false> | undefined;
    return {
        ...(params.presence_penalty !== undefined ? {presencePenalty: params.presence_penalty as number} : {}),
        ...(params.frequency_penalty !== undefined ? {frequencyPenalty: params.frequency_penalty as number} : {}),
        ...(params.repeat_last_n !== undefined ? {penaltyLastN: params.repeat_last_n as number} : {}),
        ...(bias !== undefined
            ? {logitBias: Object.entries(bias).map(([token, value]): [number, number] => [Number(token), value === false ? -Infinity : value])}
            : {})
    };
}

/** `--param key=value` (repeatable) as an object: the value parsed as JSON when it parses, else kept as a string. */
export function parseParamFlags(flags: readonly string[]): Record<string, unknown> {
    const params: Record<string, unknown> = {};
    for (const flag of flags) {
        const at = flag.indexOf("=");
        const name = at < 0 ? "" : flag.slice(0, at).trim();
        check(at > 0 && name.length > 0, `--param ${JSON.stringify(flag)} is not key=value; write e.g. --param presence_penalty=0.5`);
        check(!(name in params), `--param ${name} is given twice; give each parameter once`);
        const text = flag.slice(at + 1);
        try {
            params[name] = JSON.parse(text);
        } catch {
            params[name] = text;
        }
    }
    return params;
}

function isJsonValue(value: unknown): boolean {
    if (value === null || typeof value === "string" || typeof value === "boolean") return true;
    if (typeof value === "number") return Number.isFinite(value);
    if (Array.isArray(value)) return value.every(isJsonValue);
    if (typeof value === "object") return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(isJsonValue);
    return false;
}
