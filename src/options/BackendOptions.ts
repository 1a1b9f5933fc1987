/** Which engine generates the answers. "vllm" is an alias of "openai". */
export type BackendChoice = "local" | "openai" | "vllm";

/** Options of the remote backend (an OpenAI-compatible server: vLLM, llama-server, SGLang, TGI). Ignored by the local engine. */
export type BackendOptions = {
    /** "local" runs the GGUF file `model` in-process; "openai" (alias "vllm") sends each row to `baseUrl`, and `model` is the server's model name. Defaults to "local". */
    backend?: BackendChoice;
    /** The server's API root, e.g. "http://host:8000/v1" (http or https). Required with the openai backend. Defaults to none. */
    baseUrl?: string;
    /** Environment variable holding the API key (sent as `Authorization: Bearer`, only to `baseUrl`). Defaults to none (no key). */
    apiKeyEnv?: string;
    /** File holding the API key (first line, whitespace trimmed). Defaults to none (no key). */
    apiKeyFile?: string;
    /** "chat" posts to /chat/completions (the server's chat template applies); "completions" posts the raw prompt to /completions. Defaults to "chat". */
    endpoint?: "chat" | "completions";
    /** Ask for streamed answers (server-sent events, usage in the last chunk): measures time to first token and keeps long generations' connections busy. Defaults to false. */
    stream?: boolean;
    /** Requests in flight at once (the server batches them). Defaults to 64. */
    concurrency?: number;
    /** Requests started per minute at most. Defaults to no limit. */
    maxRequestsPerMinute?: number;
    /** Prompt + max_tokens tokens (estimated) sent per minute at most. Defaults to no limit. */
    maxTokensPerMinute?: number;
    /** Milliseconds one HTTP request may take before it is abandoned and retried. Defaults to 600000 (10 minutes). */
    requestTimeoutMs?: number;
    /** HTTP attempts per generation (connection errors, timeouts, 408, 429, 500, 502, 503, 504 are retried). Defaults to 6. */
    maxRequestAttempts?: number;
    /** First retry delay in milliseconds; doubles per retry, with jitter, unless the server sends Retry-After. Defaults to 500. */
    retryBaseDelayMs?: number;
    /** Longest wait between two attempts in milliseconds (Retry-After included). Defaults to 60000. */
    retryMaxDelayMs?: number;
};
