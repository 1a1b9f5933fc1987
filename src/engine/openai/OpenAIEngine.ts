import type {ChatMessage} from "../../chat/ChatMessage.js";
import {generateValidated} from "../generateValidated.js";
import type {Engine} from "../Engine.js";
import {samplingForAttempt} from "../samplingForAttempt.js";
import type {EngineResult, EngineTask, WarmupResult} from "../EngineTask.js";
import {answerHooksFor} from "../../hooks/answerHooksFor.js";
import {DEFAULT_HOOK_TIMEOUT_MS, type LoadedHooks} from "../../hooks/Hooks.js";
import type {GenerationOptions, LogLevel} from "../../options/AnnotateOptions.js";
import type {ResolvedRemoteOptions} from "../../options/validateBackendOptions.js";
import {AnswerSchema} from "../../schema/AnswerSchema.js";
import {approxTokens} from "../approxTokens.js";
import {buildRequest, type RequestSpec} from "./buildRequest.js";
import {HttpClient} from "./HttpClient.js";
import {RemoteServerError} from "./openaiErrors.js";
import {probeServer} from "./probeServer.js";
import {RateLimiter} from "./RateLimiter.js";
import {RequestSender} from "./RequestSender.js";
import {DEFAULT_STOP_GRACE_MS} from "../../options/AnnotateOptions.js";

export type OpenAIEngineOptions = ResolvedRemoteOptions & {
    /** The server's model name. */
    model: string;
    /** The API key (read by the caller from apiKeyEnv / apiKeyFile); null for none. */
    apiKey: string | null;
    system: string | undefined;
    /** The run's turns between the system message and each row's prompt (its few-shot examples); a row's own (see EngineTask.turns) replace them. Defaults to none. */
    turns?: readonly ChatMessage[];
    /** JSON Schema of the answer, or null for free text. */
    schema: Record<string, unknown> | boolean | null;
    schemaOrigin: string;
    generation: Required<GenerationOptions>;
    /** Extra request fields (`--param`), sent in every generation request (not in the startup probe). Defaults to none. */
    params?: Record<string, unknown>;
    retriesInvalid: number;
    /** Ask the server for log-probabilities and record each answer's confidence. Defaults to false. */
    confidence?: boolean;
    /** Answers drawn per row (self-consistency, see generateValidated). Defaults to 1. */
    samples?: number;
    /** The user's hooks module, whose validate/parse check answers here. Defaults to none. */
    hooks?: LoadedHooks | null;
    /** Time limit of one hook call. Defaults to 30000 ms. */
    hookTimeoutMs?: number;
    /** A one-to-many run: each answer must be a list (see GenerateValidatedOptions.oneToMany). Defaults to false. */
    oneToMany?: boolean;
    /** One row's time limit in milliseconds, its requests and retries included; a row past it fails (finish "timeout"). Defaults to none. */
    rowTimeoutMs?: number;
    /** Retry warnings and the probe's findings. Defaults to none. */
    onLog?: (line: string, level?: LogLevel) => void;
    /** The run's stop (SIGINT/SIGTERM): from then on no request or retry starts, and requests in flight get `stopGraceMs` (or the request timeout, if shorter) to finish. Defaults to none. */
    signal?: AbortSignal;
    /** How long requests in flight may still take after the stop before they are cancelled (their rows are redone on resume). Defaults to 5000. */
    stopGraceMs?: number;
};

/**
 * The remote backend: each row is one request to an OpenAI-compatible server (vLLM, llama-server, SGLang, TGI),
 * `concurrency` at a time, within the rate limits, with transport retries ({@link RequestSender}) and, like the
 * local engine, retries of invalid or truncated answers with changed sampling, each answer validated here with ajv.
 */
export class OpenAIEngine implements Engine {
    public readonly options: OpenAIEngineOptions;
    readonly #client: HttpClient;
    readonly #sender: RequestSender;
    readonly #answerSchema: AnswerSchema;
    #spec: RequestSpec;
    readonly #waiting: (() => void)[] = [];
    #active = 0;
    #warnedNoLogprobs = false;
    #disposed = false;
    readonly #stop = () => this.#sender.stop(Math.min(this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS, this.options.requestTimeoutMs));

    public constructor(options: OpenAIEngineOptions) {
        this.options = options;
        this.#client = new HttpClient({baseUrl: options.baseUrl, apiKey: options.apiKey, maxSockets: options.concurrency + 1});
        this.#sender = new RequestSender({
            client: this.#client,
            limiter: new RateLimiter({requestsPerMinute: options.maxRequestsPerMinute, tokensPerMinute: options.maxTokensPerMinute}),
            model: options.model,
            requestTimeoutMs: options.requestTimeoutMs,
            maxRequestAttempts: options.maxRequestAttempts,
            retry: {baseDelayMs: options.retryBaseDelayMs, maxDelayMs: options.retryMaxDelayMs},
            ...(options.onLog !== undefined ? {onLog: options.onLog} : {})
        });
        const signal = options.signal;
        if (signal !== undefined) {
            if (signal.aborted) this.#stop();
            // removed on dispose: a job's steps share one signal
            else signal.addEventListener("abort", this.#stop, {once: true});
        }
        this.#answerSchema = options.schema === null ? AnswerSchema.freeText() : AnswerSchema.fromJsonSchema(options.schema, options.schemaOrigin);
        this.#spec = {
            endpoint: options.endpoint,
            model: options.model,
            system: options.system,
            ...(options.turns !== undefined && options.turns.length > 0 ? {turns: options.turns} : {}),
            schema: options.schema,
            generation: options.generation,
            stream: options.stream,
            ...(options.confidence === true ? {logprobs: true} : {}),
            ...(options.params !== undefined ? {params: options.params} : {})
        };
    }

    public get capacity(): number {
        return this.options.concurrency;
    }

    /** HTTP requests sent so far, and how many of them were retries. */
    public get requestStats(): {requests: number; retries: number} {
        return {requests: this.#sender.requests, retries: this.#sender.retries};
    }

    /** Checks the server answers for this model and, with a schema, that it constrains answers (a warning otherwise). */
    public async ready(): Promise<WarmupResult> {
        const {endpoint, concurrency, baseUrl, model, stream} = this.options;
        const probe = await this.#withSlot(() => probeServer(this.#sender, this.#spec));
        if (probe.jsonSchemaField === true) this.#spec = {...this.#spec, jsonSchemaField: true};
        return {
            engine:
                `OpenAI-compatible server ${baseUrl}, model "${model}", ${endpoint} endpoint${stream ? " (streamed)" : ""}, concurrency ${concurrency}` +
                (probe.jsonSchemaField === true
                    ? "; the schema also sent as llama-server's json_schema (its completions endpoint ignores response_format)"
                    : ""),
            hint: probe.warning
        };
    }

    public generate(task: EngineTask): Promise<EngineResult> {
        return this.#withSlot(() => this.#generateRow(task));
    }

    async #generateRow(task: EngineTask): Promise<EngineResult> {
        const gen = this.options.generation;
        const system = task.system ?? this.options.system;
        const turns = task.turns ?? this.#spec.turns ?? [];
        const estimate = approxTokens(`${system ?? ""}${turns.map((turn) => turn.content).join("")}${task.prompt}`);
        const spec = task.system !== undefined || task.turns !== undefined ? {...this.#spec, system, turns} : this.#spec;
        // the hooks' own copy of the row: this thread also writes the row's columns to the shards
        const hooks = answerHooksFor(
            this.options.hooks ?? null,
            structuredClone(task.row ?? {}),
            this.options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
            this.options.oneToMany === true
        );
        return await generateValidated({
            idx: task.idx,
            answerSchema: this.#answerSchema,
            retriesInvalid: this.options.retriesInvalid,
            maxTokens: gen.maxTokens,
            promptTokens: estimate,
            ...(hooks !== undefined ? {hooks} : {}),
            ...(this.options.oneToMany === true ? {oneToMany: true} : {}),
            ...(this.options.rowTimeoutMs !== undefined ? {timeLimitMs: this.options.rowTimeoutMs} : {}),
            ...(this.options.confidence === true ? {confidence: true} : {}),
            ...(this.options.samples !== undefined ? {samples: this.options.samples} : {}),
            attempt: async (attempt, timeLimitMs, sample) => {
                const {path, body} = buildRequest(spec, task.prompt, samplingForAttempt(gen, task.idx, attempt, task.seed, sample));
                const outcome = await this.#sender.send(path, body, estimate + gen.maxTokens, `row idx ${task.idx}`, timeLimitMs);
                if ("timedOut" in outcome) return {text: "", finishReason: "timeout", promptTokens: null, generatedTokens: 0, firstTokenMs: -1};
                if (!outcome.ok) return {refused: outcome.reason};
                const {completion} = outcome;
                if (this.options.confidence === true && completion.tokenLogprobs === undefined && !this.#warnedNoLogprobs) {
                    this.#warnedNoLogprobs = true;
                    this.options.onLog?.(
                        `${this.options.baseUrl} returned no logprobs (row idx ${task.idx}): answers without them get an empty confidence; vLLM, llama-server and OpenAI return them`,
                        "warning"
                    );
                }
                return {
                    text: completion.text,
                    finishReason: completion.finishReason,
                    promptTokens: completion.promptTokens ?? estimate,
                    generatedTokens: completion.completionTokens ?? approxTokens(completion.text),
                    // only a streamed answer's first bytes tell when the first token came
                    firstTokenMs: this.options.stream ? outcome.firstByteMs : -1,
                    ...(completion.tokenLogprobs !== undefined ? {tokenLogprobs: completion.tokenLogprobs} : {})
                };
            }
        });
    }

    async #withSlot<T>(work: () => Promise<T>): Promise<T> {
        if (this.#active >= this.options.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
        else this.#active++;
        try {
            return await work();
        } finally {
            const next = this.#waiting.shift();
            if (next !== undefined) next();
            else this.#active--;
        }
    }

    /** Cancels pending requests and closes the connections. Safe to call twice. */
    public async dispose(): Promise<void> {
        if (this.#disposed) return;
        this.#disposed = true;
        this.options.signal?.removeEventListener("abort", this.#stop);
        this.#sender.cancel(new RemoteServerError(`${this.options.baseUrl}: the engine was disposed`));
        this.#client.close();
    }
}
