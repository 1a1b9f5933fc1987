import {InvalidOptionError} from "../AirlabelError.js";
import type {BackendOptions} from "./BackendOptions.js";
import {checkOption as check, oneOf, optionalNonNegativeInteger, optionalPositiveInteger} from "./checkOption.js";
import {isRemoteBackend} from "./isRemoteBackend.js";

/** The remote backend's settings with defaults filled in (the API key itself is read later, never stored here). */
export type ResolvedRemoteOptions = {
    /** The API root without a trailing slash, e.g. "http://host:8000/v1". */
    baseUrl: string;
    apiKeyEnv: string | null;
    apiKeyFile: string | null;
    endpoint: "chat" | "completions";
    stream: boolean;
    concurrency: number;
    maxRequestsPerMinute: number | null;
    maxTokensPerMinute: number | null;
    requestTimeoutMs: number;
    maxRequestAttempts: number;
    retryBaseDelayMs: number;
    retryMaxDelayMs: number;
};

export type ResolvedBackend = {backend: "local"; remote: null} | {backend: "openai"; remote: ResolvedRemoteOptions};

const remoteDefaults = {
    endpoint: "chat",
    concurrency: 64,
    requestTimeoutMs: 600_000,
    maxRequestAttempts: 6,
    retryBaseDelayMs: 500,
    retryMaxDelayMs: 60_000
} as const;

const badBaseUrl = "options.baseUrl must be an http:// or https:// URL (the server's API root, e.g. http://host:8000/v1)";

/** The options only the openai backend takes (refused with the local one). */
export const REMOTE_ONLY_OPTIONS = [
    "baseUrl",
    "apiKeyEnv",
    "apiKeyFile",
    "endpoint",
    "stream",
    "concurrency",
    "maxRequestsPerMinute",
    "maxTokensPerMinute",
    "requestTimeoutMs",
    "maxRequestAttempts",
    "retryBaseDelayMs",
    "retryMaxDelayMs"
] as const;

/** Validates the backend options (messages tested in test/backends/backendOptions.test.ts). */
export function validateBackendOptions(options: BackendOptions): ResolvedBackend {
    const backend = oneOf("backend", options.backend, ["local", "openai", "vllm"], "local");
    if (!isRemoteBackend(backend)) {
        for (const name of REMOTE_ONLY_OPTIONS)
            check(options[name] === undefined, `options.${name} needs options.backend "openai" (or "vllm"); remove it or set the backend`);
        return {backend: "local", remote: null};
    }
    check(typeof options.baseUrl === "string" && options.baseUrl.length > 0, badBaseUrl);
    let url: URL;
    try {
        url = new URL(options.baseUrl);
    } catch {
        throw new InvalidOptionError(badBaseUrl);
    }
    check(url.protocol === "http:" || url.protocol === "https:", badBaseUrl);
    check(
        url.username === "" && url.password === "" && url.search === "" && url.hash === "",
        "options.baseUrl must not hold credentials, a query or a fragment; pass the key with options.apiKeyEnv or options.apiKeyFile"
    );
    check(
        options.apiKeyEnv === undefined || (typeof options.apiKeyEnv === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/u.test(options.apiKeyEnv)),
        "options.apiKeyEnv must be an environment variable name"
    );
    check(
        options.apiKeyFile === undefined || (typeof options.apiKeyFile === "string" && options.apiKeyFile.length > 0),
        "options.apiKeyFile must be a non-empty string"
    );
    check(options.apiKeyEnv === undefined || options.apiKeyFile === undefined, "options.apiKeyEnv and options.apiKeyFile cannot be used together");
    const endpoint = oneOf("endpoint", options.endpoint, ["chat", "completions"], remoteDefaults.endpoint);
    check(options.stream === undefined || typeof options.stream === "boolean", "options.stream must be a boolean");
    optionalPositiveInteger("concurrency", options.concurrency);
    optionalPositiveInteger("maxRequestsPerMinute", options.maxRequestsPerMinute);
    optionalPositiveInteger("maxTokensPerMinute", options.maxTokensPerMinute);
    optionalPositiveInteger("requestTimeoutMs", options.requestTimeoutMs);
    optionalPositiveInteger("maxRequestAttempts", options.maxRequestAttempts);
    optionalNonNegativeInteger("retryBaseDelayMs", options.retryBaseDelayMs);
    optionalNonNegativeInteger("retryMaxDelayMs", options.retryMaxDelayMs);
    return {
        backend: "openai",
        remote: {
            baseUrl: `${url.origin}${url.pathname.replace(/\/+$/u, "")}`,
            apiKeyEnv: options.apiKeyEnv ?? null,
            apiKeyFile: options.apiKeyFile ?? null,
            endpoint,
            stream: options.stream ?? false,
            concurrency: options.concurrency ?? remoteDefaults.concurrency,
            maxRequestsPerMinute: options.maxRequestsPerMinute ?? null,
            maxTokensPerMinute: options.maxTokensPerMinute ?? null,
            requestTimeoutMs: options.requestTimeoutMs ?? remoteDefaults.requestTimeoutMs,
            maxRequestAttempts: options.maxRequestAttempts ?? remoteDefaults.maxRequestAttempts,
            retryBaseDelayMs: options.retryBaseDelayMs ?? remoteDefaults.retryBaseDelayMs,
            retryMaxDelayMs: options.retryMaxDelayMs ?? remoteDefaults.retryMaxDelayMs
        }
    };
}
