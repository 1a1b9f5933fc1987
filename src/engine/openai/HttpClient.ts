import http from "node:http";
import https from "node:https";
import {AirlabelError} from "../../AirlabelError.js";
import {redactKey} from "./redactKey.js";

/** A request that got no HTTP answer: connection refused or reset, DNS failure, timeout. Retryable. */
export class TransportError extends AirlabelError {}

export type HttpResponse = {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
    /** Milliseconds from sending to the first body bytes (for a streamed answer: about the first token). */
    firstByteMs: number;
};

export type HttpClientOptions = {
    /** The API root; every request goes to a path under it, and only there does the API key go. */
    baseUrl: string;
    /** Sent as `Authorization: Bearer <key>`; null sends no Authorization header. */
    apiKey: string | null;
    /** Sockets kept open to the server. */
    maxSockets: number;
};

const maxBodyBytes = 64 * 1024 * 1024;

/**
 * POSTs JSON to the configured server only. Redirects are never followed (a 3xx comes back as a response, so the
 * caller can refuse it): the API key is sent to the base URL's origin and nowhere else. Every text that leaves this
 * class (bodies, error messages) has the key replaced by `[redacted]` (see redactKey).
 */
export class HttpClient {
    public readonly baseUrl: string;
    readonly #origin: string;
    readonly #apiKey: string | null;
    readonly #agent: http.Agent;
    readonly #https: boolean;
    #closed = false;

    public constructor(options: HttpClientOptions) {
        const url = new URL(options.baseUrl);
        this.baseUrl = options.baseUrl.replace(/\/+$/u, "");
        this.#origin = url.origin;
        this.#apiKey = options.apiKey;
        this.#https = url.protocol === "https:";
        const agentOptions = {keepAlive: true, maxSockets: options.maxSockets};
        this.#agent = this.#https ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    }

    /**
     * Removes the API key from a text, in every form a server may echo it (request headers in an error: escaped,
     * URL-encoded, base64 of `user:key`); applied to raw bodies here and by the caller to what it decodes from them.
     */
    public redact(text: string): string {
        return redactKey(text, this.#apiKey);
    }

    public postJson(path: string, payload: unknown, timeoutMs: number, signal?: AbortSignal): Promise<HttpResponse> {
        const url = new URL(`${this.baseUrl}${path}`);
        if (url.origin !== this.#origin) return Promise.reject(new Error(`refusing to send a request to ${url.origin}, outside ${this.#origin}`));
        const body = Buffer.from(JSON.stringify(payload), "utf8");
        const headers: http.OutgoingHttpHeaders = {
            "content-type": "application/json",
            "content-length": body.length,
            accept: "application/json, text/event-stream"
        };
        if (this.#apiKey !== null) headers.authorization = `Bearer ${this.#apiKey}`;
        const sentAt = performance.now();
        return new Promise<HttpResponse>((resolve, reject) => {
            if (this.#closed) {
                reject(new TransportError(`${this.#origin}: the client is closed`));
                return;
            }
            let settled = false;
            const finish = (error: Error | null, response?: HttpResponse) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                signal?.removeEventListener("abort", onAbort);
                if (error !== null) reject(error);
                else resolve(response!);
            };
            const request = (this.#https ? https : http).request(url, {method: "POST", headers, agent: this.#agent}, (response) => {
                const chunks: Buffer[] = [];
                let bytes = 0;
                let firstByteMs = -1;
                response.on("data", (chunk: Buffer) => {
                    if (firstByteMs < 0) firstByteMs = performance.now() - sentAt;
                    bytes += chunk.length;
                    if (bytes > maxBodyBytes) {
                        request.destroy(new TransportError(`${url.origin}${url.pathname}: response larger than ${maxBodyBytes} bytes`));
                        return;
                    }
                    chunks.push(chunk);
                });
                response.on("end", () =>
                    finish(null, {
                        status: response.statusCode ?? 0,
                        headers: response.headers,
                        body: this.redact(Buffer.concat(chunks).toString("utf8")),
                        firstByteMs: firstByteMs < 0 ? performance.now() - sentAt : firstByteMs
                    })
                );
                response.on("error", (err) => finish(this.#transportError(url, err)));
                response.on("aborted", () => finish(new TransportError(`${url.origin}${url.pathname}: connection closed mid-response`)));
                response.on("close", () => {
                    if (!response.complete) finish(new TransportError(`${url.origin}${url.pathname}: connection closed mid-response`));
                });
            });
            const timer = setTimeout(() => {
                request.destroy(new TransportError(`${url.origin}${url.pathname}: no complete answer within ${timeoutMs} ms (requestTimeoutMs)`));
            }, timeoutMs);
            const onAbort = () => request.destroy(new TransportError(`${url.origin}${url.pathname}: request cancelled`));
            signal?.addEventListener("abort", onAbort, {once: true});
            if (signal?.aborted === true) onAbort();
            request.on("error", (err) => finish(this.#transportError(url, err)));
            request.end(body);
        });
    }

    #transportError(url: URL, err: Error): Error {
        if (err instanceof TransportError) return err;
        const code = (err as NodeJS.ErrnoException).code;
        return new TransportError(`${url.origin}${url.pathname}: ${this.redact(code ?? err.message)}`, {cause: err});
    }

    /** Closes the kept-alive sockets. Safe to call twice. */
    public close(): void {
        if (this.#closed) return;
        this.#closed = true;
        this.#agent.destroy();
    }
}
