import http from "node:http";
import type {AddressInfo} from "node:net";

/** One request as the fake server saw it. */
export type FakeRequest = {
    /** 1-based, over the server's life. */
    n: number;
    path: string;
    headers: http.IncomingHttpHeaders;
    body: Record<string, unknown>;
    /** The user prompt (chat: the last message; completions: the prompt). */
    prompt: string;
    /** 1-based count of requests with this prompt so far (this one included). */
    attemptForPrompt: number;
    /** True for airlabel's startup probe. */
    isProbe: boolean;
};

/** What to do with a request; `undefined` from a script means "behave like vLLM". */
export type FakeAction =
    | {answer: string; finishReason?: "stop" | "length"}
    | {
          status: number;
          error?: {message: string; type: string; param?: string | null; code?: number | string | null};
          headers?: Record<string, string>;
          rawBody?: string;
      }
    | {reset: true}
    | {hang: true}
    /** `then`, after `delayMs`. */
    | {delayMs: number; then: FakeAction}
    | {redirect: string}
    /** Streamed requests only: a 200 stream that sends part of the answer, then vLLM's error chunk and [DONE]. */
    | {streamError: string};

export type FakeServerOptions = {
    /** Model name served; others get vLLM's 404. Defaults to "fake-model". */
    model?: string;
    /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise). */
    apiKey?: string;
    /** vLLM's max_model_len: prompt (estimated ceil(bytes/4) + 8) + max_tokens above it gets a 400. Defaults to 4096. */
    maxModelLen?: number;
    /** Requests handled at once; more get 503 like a full vLLM queue. Defaults to unlimited. */
    maxConcurrent?: number;
    /** Answer free text whatever response_format says (a server that silently ignores the schema). Defaults to false. */
    ignoreSchema?: boolean;
    /** Scripted faults. */
    script?: (request: FakeRequest) => FakeAction | undefined;
    /** Port to listen on (to restart "the same server"). Defaults to a free one. */
    port?: number;
};

/**
 * A fake OpenAI-compatible server on 127.0.0.1 (node:http) that mimics vLLM's documented behaviour: error bodies
 * `{"error": {message, type, param, code}}`, 400 with param `max_tokens` / `input_tokens` past the context, 404 for
 * an unknown model, 401 without the key, 503 when its queue is full, `finish_reason: "length"` when max_tokens cuts
 * the answer, usage in every response. With a json_schema response_format it writes an answer valid for the
 * schema (first enum value, minimum numbers, required properties). A script can inject faults per request.
 */
export class FakeOpenAIServer {
    public readonly requests: FakeRequest[] = [];
    readonly #server: http.Server;
    readonly #options: FakeServerOptions;
    readonly #attempts = new Map<string, number>();
    #active = 0;
    #port = 0;
    /** Most requests the server was generating for at once. */
    public maxActive = 0;

    private constructor(server: http.Server, options: FakeServerOptions) {
        this.#server = server;
        this.#options = options;
    }

    public static async start(options: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
        const server = http.createServer();
        const fake = new FakeOpenAIServer(server, options);
        server.on("request", (req, res) => fake.#handle(req, res));
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
        });
        fake.#port = (server.address() as AddressInfo).port;
        return fake;
    }

    public get port(): number {
        return this.#port;
    }

    /** The base URL to pass as --base-url. */
    public get url(): string {
        return `http://127.0.0.1:${this.port}/v1`;
    }

    /** Requests per prompt (probe excluded). */
    public attemptsByPrompt(): Map<string, number> {
        const counts = new Map<string, number>();
        for (const request of this.requests) if (!request.isProbe) counts.set(request.prompt, (counts.get(request.prompt) ?? 0) + 1);
        return counts;
    }

    /** Stops listening and drops every connection (hanging requests included). Safe to call twice. */
    public async close(): Promise<void> {
        if (!this.#server.listening) return;
        const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
        this.#server.closeAllConnections();
        await closed;
    }

    #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            let body: Record<string, unknown>;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
            } catch {
                sendError(res, 400, {message: "invalid JSON body", type: "BadRequestError", param: null, code: 400});
                return;
            }
            const path = (req.url ?? "").replace(/^\/v1/u, "");
            const messages = Array.isArray(body.messages) ? (body.messages as {content: string}[]) : [];
            const prompt = path === "/chat/completions" ? (messages[messages.length - 1]?.content ?? "") : String(body.prompt ?? "");
            const attemptForPrompt = (this.#attempts.get(prompt) ?? 0) + 1;
            this.#attempts.set(prompt, attemptForPrompt);
            const request: FakeRequest = {
                n: this.requests.length + 1,
                path,
                headers: req.headers,
                body,
                prompt,
                attemptForPrompt,
                isProbe: prompt === "Say hello."
            };
            this.requests.push(request);
            const action = this.#options.script?.(request);
            if (action !== undefined) {
                this.#act(action, request, res);
                return;
            }
            this.#vllm(request, res);
        });
    }

    #act(action: FakeAction, request: FakeRequest, res: http.ServerResponse): void {
        if ("delayMs" in action) {
            setTimeout(() => this.#act(action.then, request, res), action.delayMs);
        } else if ("reset" in action) {
            res.socket?.destroy();
        } else if ("hang" in action) {
            // never answers; close() drops the connection
        } else if ("streamError" in action) {
            res.writeHead(200, {"content-type": "text/event-stream"});
            res.write(sse({id: `cmpl-${request.n}`, choices: [{index: 0, delta: {role: "assistant", content: '{"lab'}, finish_reason: null}]}));
            res.end(sse({error: {message: action.streamError, type: "InternalServerError", param: null, code: 500}}) + "data: [DONE]\n\n");
        } else if ("redirect" in action) {
            res.writeHead(307, {location: action.redirect}).end();
        } else if ("answer" in action) {
            sendCompletion(res, request, action.answer, action.finishReason ?? "stop");
        } else if (action.rawBody !== undefined) {
            res.writeHead(action.status, {"content-type": "application/json", ...action.headers}).end(action.rawBody);
        } else {
            sendError(
                res,
                action.status,
                {param: null, code: action.status, ...(action.error ?? {message: "error", type: "InternalServerError"})},
                action.headers
            );
        }
    }

    #vllm(request: FakeRequest, res: http.ServerResponse): void {
        const options = this.#options;
        const model = options.model ?? "fake-model";
        if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
            sendError(res, 401, {message: "Unauthorized", type: "Unauthorized", param: null, code: 401});
            return;
        }
        if (request.path !== "/chat/completions" && request.path !== "/completions") {
            sendError(res, 404, {message: "Not Found", type: "NotFoundError", param: null, code: 404});
            return;
        }
        if (request.body.model !== model) {
            sendError(res, 404, {message: `The model \`${String(request.body.model)}\` does not exist.`, type: "NotFoundError", param: "model", code: 404});
            return;
        }
        if ("guided_json" in request.body) {
            sendError(res, 400, {message: "guided_json is not a valid parameter", type: "BadRequestError", param: "guided_json", code: 400});
            return;
        }
        const maxLen = options.maxModelLen ?? 4096;
        const inputTokens = promptTokensOf(request);
        const maxTokens = Number(request.body.max_tokens ?? 16);
        if (inputTokens > maxLen) {
            sendError(res, 400, {
                message: `This model's maximum context length is ${maxLen} tokens. However, your request has ${inputTokens} input tokens. Please reduce the length of the input messages.`,
                type: "BadRequestError",
                param: "input_tokens",
                code: 400
            });
            return;
        }
        if (inputTokens + maxTokens > maxLen) {
            sendError(res, 400, {
                message: `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${maxLen} tokens and your request has ${inputTokens} input tokens (${maxTokens} > ${maxLen} - ${inputTokens}).`,
                type: "BadRequestError",
                param: "max_tokens",
                code: 400
            });
            return;
        }
        if (this.#active >= (options.maxConcurrent ?? Infinity)) {
            sendError(res, 503, {message: "The server is overloaded: the request queue is full.", type: "ServiceUnavailableError", param: null, code: 503});
            return;
        }
        this.#active++;
        this.maxActive = Math.max(this.maxActive, this.#active);
        const responseFormat = request.body.response_format as {type?: string; json_schema?: {schema?: unknown}} | undefined;
        const schema = responseFormat?.type === "json_schema" && options.ignoreSchema !== true ? responseFormat.json_schema?.schema : undefined;
        const full = schema !== undefined ? JSON.stringify(valueFor(schema)) : `Hello! You said: ${request.prompt.slice(0, 40)}`;
        const limit = maxTokens * 4;
        // answer a little later so that requests overlap (the queue can fill up)
        setTimeout(() => {
            this.#active--;
            if (full.length > limit) sendCompletion(res, request, full.slice(0, limit), "length");
            else sendCompletion(res, request, full, "stop");
        }, 2);
    }
}

function promptTokensOf(request: FakeRequest): number {
    const text = Array.isArray(request.body.messages)
        ? (request.body.messages as {content: string}[]).map((m) => m.content).join("\n")
        : String(request.body.prompt ?? "");
    return Math.ceil(Buffer.byteLength(text, "utf8") / 4) + 8;
}

function sse(chunk: unknown): string {
    return `data: ${JSON.stringify(chunk)}\n\n`;
}

function sendCompletion(res: http.ServerResponse, request: FakeRequest, text: string, finishReason: "stop" | "length"): void {
    const completionTokens = Math.max(1, Math.ceil(Buffer.byteLength(text, "utf8") / 4));
    const promptTokens = promptTokensOf(request);
    const chat = request.path === "/chat/completions";
    if (request.body.stream === true) {
        // vLLM's chunks: the text in pieces, the finish reason on the last one, then (include_usage) a usage chunk and [DONE]
        res.writeHead(200, {"content-type": "text/event-stream"});
        const pieces = text.match(/[\s\S]{1,8}/gu) ?? [""];
        pieces.forEach((piece, i) => {
            const last = i === pieces.length - 1 ? finishReason : null;
            res.write(
                sse({
                    id: `cmpl-${request.n}`,
                    choices: [
                        chat
                            ? {index: 0, delta: i === 0 ? {role: "assistant", content: piece} : {content: piece}, finish_reason: last}
                            : {index: 0, text: piece, finish_reason: last}
                    ]
                })
            );
        });
        const includeUsage = (request.body.stream_options as {include_usage?: boolean} | undefined)?.include_usage === true;
        if (includeUsage)
            res.write(
                sse({
                    id: `cmpl-${request.n}`,
                    choices: [],
                    usage: {prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens}
                })
            );
        res.end("data: [DONE]\n\n");
        return;
    }
    const body = {
        id: `cmpl-${request.n}`,
        object: chat ? "chat.completion" : "text_completion",
        created: 0,
        model: request.body.model,
        choices: [chat ? {index: 0, message: {role: "assistant", content: text}, finish_reason: finishReason} : {index: 0, text, finish_reason: finishReason}],
        usage: {prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens}
    };
    res.writeHead(200, {"content-type": "application/json"}).end(JSON.stringify(body));
}

function sendError(
    res: http.ServerResponse,
    status: number,
    error: {message: string; type: string; param: string | null; code: number | string | null},
    headers: Record<string, string> = {}
): void {
    res.writeHead(status, {"content-type": "application/json", ...headers}).end(JSON.stringify({error}));
}

/** A value valid for the simple schemas the tests use (what a constraining server would produce). */
export function valueFor(schema: unknown): unknown {
    if (typeof schema !== "object" || schema === null) return null;
    const s = schema as Record<string, unknown>;
    if (Array.isArray(s.enum)) return s.enum[0];
    if ("const" in s) return s.const;
    switch (s.type) {
        case "object": {
            const properties = (s.properties ?? {}) as Record<string, unknown>;
            const required = Array.isArray(s.required) ? (s.required as string[]) : Object.keys(properties);
            return Object.fromEntries(required.map((name) => [name, valueFor(properties[name])]));
        }
        case "array":
            return [];
        case "string":
            return "text";
        case "integer":
        case "number":
            return typeof s.minimum === "number" ? s.minimum : 0;
        case "boolean":
            return true;
        default:
            return null;
    }
}
