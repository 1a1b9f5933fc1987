import {setMaxListeners} from "node:events";
import {type HttpClient, TransportError, type HttpResponse} from "./HttpClient.js";
import {parseCompletion, parseServerError, type ParsedCompletion} from "./parseCompletion.js";
import {parseCompletionStream} from "./parseCompletionStream.js";
import type {RateLimiter} from "./RateLimiter.js";
import {RemoteServerError, RequestStoppedError} from "./openaiErrors.js";
import {retryDelayMs, type RetryDelayPolicy} from "./retryDelay.js";
import {sleep} from "./sleep.js";
import {oneLine} from "../../oneLine.js";
import type {LogLevel} from "../../options/AnnotateOptions.js";

export type RequestSenderOptions = {
    client: HttpClient;
    limiter: RateLimiter;
    /** The server's model name, for messages. */
    model: string;
    requestTimeoutMs: number;
    maxRequestAttempts: number;
    retry: RetryDelayPolicy;
    /** Warnings (retries), throttled. Defaults to none. */
    onLog?: (line: string, level?: LogLevel) => void;
};

/** What one generation request ended as: an answer, or the server refusing this request (400: the row fails). */
export type SendOutcome =
    | {ok: true; completion: ParsedCompletion; httpAttempts: number; firstByteMs: number}
    | {ok: false; reason: string; httpAttempts: number}
    /** The row's time limit passed while waiting, requesting or between retries. */
    | {ok: false; timedOut: true};

/** Statuses worth retrying: the server is busy, restarting or behind a proxy that failed. */
const retryableStatuses = new Set([408, 429, 500, 502, 503, 504]);
/** Statuses that concern this request only (too long for the context, a bad parameter): the row fails, the run goes on. */
const rowStatuses = new Set([400, 413, 422]);

/**
 * Sends one request with bounded retries: connection errors, timeouts, malformed 200 bodies and 408/429/5xx are
 * retried with exponential backoff and jitter (or the server's Retry-After), at most `maxRequestAttempts` times.
 * After a fatal problem (attempts exhausted, key refused, unknown model, redirect) every later and pending call
 * rejects with the same {@link RemoteServerError}, so the run stops promptly.
 */
export class RequestSender {
    readonly #options: RequestSenderOptions;
    readonly #abort = new AbortController();
    /** Aborted at the stop: waits (rate limit, retry backoff) end at once. */
    readonly #stopWaits = new AbortController();
    /** Aborted when the stop's grace period ends: requests still in flight are cancelled. */
    readonly #stopRequests = new AbortController();
    #stopped: RequestStoppedError | null = null;
    #graceTimer: NodeJS.Timeout | undefined;
    #fatal: RemoteServerError | null = null;
    #retries = 0;
    #lastLogAt = -Infinity;
    /** HTTP requests sent (including retries). */
    public requests = 0;

    public constructor(options: RequestSenderOptions) {
        this.#options = options;
        // every request in flight, backoff sleep and rate-limit wait listens to it: no leak warning at high concurrency
        setMaxListeners(0, this.#abort.signal);
        setMaxListeners(0, this.#stopWaits.signal);
        setMaxListeners(0, this.#stopRequests.signal);
    }

    public get baseUrl(): string {
        return this.#options.client.baseUrl;
    }

    /** HTTP requests that were retries. */
    public get retries(): number {
        return this.#retries;
    }

    /** Rejects every pending and later request (dispose). */
    public cancel(reason: RemoteServerError): void {
        clearTimeout(this.#graceTimer);
        this.#setFatal(reason);
    }

    /**
     * The run is stopping (SIGINT/SIGTERM): no request or retry starts from now on (each such call rejects with
     * {@link RequestStoppedError}); requests in flight may finish within `graceMs`, then they are cancelled too.
     */
    public stop(graceMs: number): void {
        if (this.#stopped !== null) return;
        this.#stopped = new RequestStoppedError(
            `${this.#options.client.baseUrl}: the run was stopped before this row's request finished; a resume generates it`
        );
        this.#stopWaits.abort(this.#stopped);
        this.#graceTimer = setTimeout(() => this.#stopRequests.abort(this.#stopped), graceMs);
        this.#graceTimer.unref();
    }

    /** Sends one request, with retries; without a time limit it cannot time out. */
    public send(path: string, body: unknown, estimatedTokens: number, what: string): Promise<Exclude<SendOutcome, {timedOut: true}>>;
    /** Sends one request, with retries, within `timeLimitMs` (the row's time limit left; undefined: none). */
    public send(path: string, body: unknown, estimatedTokens: number, what: string, timeLimitMs: number | undefined): Promise<SendOutcome>;
    public async send(path: string, body: unknown, estimatedTokens: number, what: string, timeLimitMs?: number): Promise<SendOutcome> {
        const {client, limiter, maxRequestAttempts, requestTimeoutMs} = this.#options;
        // the row's time limit ends waits, requests and retries alike (a timed-out row is not retried)
        const limit = timeLimitMs === undefined ? [] : [AbortSignal.timeout(Math.max(1, Math.ceil(timeLimitMs)))];
        const waits = AbortSignal.any([this.#abort.signal, this.#stopWaits.signal, ...limit]);
        const requests = AbortSignal.any([this.#abort.signal, this.#stopRequests.signal, ...limit]);
        const timedOut = () => limit[0]?.aborted === true && this.#fatal === null && this.#stopped === null;
        let lastProblem = "";
        for (let attempt = 1; attempt <= maxRequestAttempts; attempt++) {
            this.#throwIfFatal();
            const acquired = await limiter.acquire(estimatedTokens, waits).then(
                () => true,
                (err: unknown) => {
                    this.#throwIfFatal();
                    if (timedOut()) return false;
                    throw err;
                }
            );
            if (!acquired) return {ok: false, timedOut: true};
            this.#throwIfFatal();
            let response: HttpResponse | null = null;
            try {
                this.requests++;
                response = await client.postJson(path, body, requestTimeoutMs, requests);
            } catch (err) {
                this.#throwIfFatal();
                if (timedOut()) return {ok: false, timedOut: true};
                // stopping: a request that failed (or was cancelled after the grace period) is not retried
                if (this.#stopped !== null) throw this.#stopped;
                if (!(err instanceof TransportError)) throw err;
                lastProblem = err.message;
            }
            let retryAfter: string | string[] | undefined;
            if (response !== null) {
                const {status} = response;
                if (status >= 200 && status < 300) {
                    const streamed = String(response.headers["content-type"] ?? "").startsWith("text/event-stream");
                    const parsed = streamed ? parseCompletionStream(response.body) : parseCompletion(response.body);
                    // the body was redacted raw; what JSON decoding made of it (`\/`, `\u00..`) is redacted again
                    if (!("malformed" in parsed))
                        return {ok: true, completion: {...parsed, text: client.redact(parsed.text)}, httpAttempts: attempt, firstByteMs: response.firstByteMs};
                    lastProblem = client.redact(`HTTP ${status} but ${parsed.malformed}`);
                } else if (rowStatuses.has(status)) {
                    return {ok: false, reason: client.redact(`server refused the request: ${describeStatus(response)}`), httpAttempts: attempt};
                } else if (retryableStatuses.has(status)) {
                    lastProblem = client.redact(describeStatus(response));
                    retryAfter = response.headers["retry-after"];
                } else {
                    throw this.#setFatal(new RemoteServerError(client.redact(fatalMessage(client.baseUrl, this.#options.model, response))));
                }
            }
            if (attempt === maxRequestAttempts) break;
            if (this.#stopped !== null) throw this.#stopped;
            this.#retries++;
            this.#logRetry(lastProblem);
            const slept = await sleep(retryDelayMs(attempt, retryAfter, this.#options.retry), waits).then(
                () => true,
                (err: unknown) => {
                    this.#throwIfFatal();
                    if (timedOut()) return false;
                    throw err;
                }
            );
            if (!slept) return {ok: false, timedOut: true};
        }
        throw this.#setFatal(
            new RemoteServerError(
                `${client.baseUrl}: ${maxRequestAttempts} attempt${maxRequestAttempts === 1 ? "" : "s"} at ${what} failed (last: ${oneLine(lastProblem, 300)}); ` +
                    "rows committed so far are kept: check the server (or raise --max-request-attempts) and re-run the same command to resume"
            )
        );
    }

    /** Throws the fatal error, or the stop (no request or retry starts after it). */
    #throwIfFatal(): void {
        if (this.#fatal !== null) throw this.#fatal;
        if (this.#stopped !== null) throw this.#stopped;
    }

    #setFatal(error: RemoteServerError): RemoteServerError {
        if (this.#fatal === null) {
            this.#fatal = error;
            this.#abort.abort(error);
        }
        return this.#fatal;
    }

    #logRetry(problem: string): void {
        const now = performance.now();
        if (now - this.#lastLogAt < 10_000) return;
        this.#lastLogAt = now;
        this.#options.onLog?.(
            `server: ${oneLine(problem, 200)}; retrying with backoff (${this.#retries} retr${this.#retries === 1 ? "y" : "ies"} so far)`,
            "warning"
        );
    }
}

function describeStatus(response: HttpResponse): string {
    const error = parseServerError(response.body);
    const parts = [`HTTP ${response.status}`];
    if (error?.type != null) parts.push(error.type);
    if (error?.param != null) parts.push(`param ${error.param}`);
    const message = error?.message ?? response.body.trim();
    return `${parts.join(", ")}${message !== "" ? `: ${oneLine(message, 500)}` : ""}`;
}

function fatalMessage(baseUrl: string, model: string, response: HttpResponse): string {
    const status = response.status;
    if (status >= 300 && status < 400) {
        const location = response.headers.location;
        let where = "another address";
        try {
            if (typeof location === "string") where = new URL(location, baseUrl).origin;
        } catch {
            /* unreadable Location */
        }
        return `${baseUrl}: the server redirects (HTTP ${status}) to ${where}; airlabel does not follow redirects (the API key goes to --base-url only): set --base-url to the final address`;
    }
    if (status === 401 || status === 403)
        return `${baseUrl}: the server refused the credentials (${describeStatus(response)}); check --api-key-env / --api-key-file`;
    if (status === 404)
        return `${baseUrl}: not found (${describeStatus(response)}); check --base-url (it usually ends in /v1) and that the server serves model "${model}"`;
    return `${baseUrl}: unexpected answer (${describeStatus(response)}); check --base-url and the server's logs`;
}
