import {sleep} from "./sleep.js";

export type RateLimiterOptions = {
    /** Requests started per minute at most; null for no limit. */
    requestsPerMinute: number | null;
    /** Tokens (the caller's estimate per request) per minute at most; null for no limit. */
    tokensPerMinute: number | null;
};

/**
 * Two token buckets (requests and tokens), each holding a minute's allowance and refilled continuously, so a
 * run starts at once and then settles at the configured rate. Callers are served in arrival order.
 */
export class RateLimiter {
    readonly #options: RateLimiterOptions;
    #requests: number;
    #tokens: number;
    #last = performance.now();
    #queue: Promise<void> = Promise.resolve();

    public constructor(options: RateLimiterOptions) {
        this.#options = options;
        this.#requests = options.requestsPerMinute ?? 0;
        this.#tokens = options.tokensPerMinute ?? 0;
    }

    public get limited(): boolean {
        return this.#options.requestsPerMinute !== null || this.#options.tokensPerMinute !== null;
    }

    /** Resolves when one request of `tokens` tokens may start (a request larger than a minute's tokens waits for a full bucket). */
    public acquire(tokens: number, signal?: AbortSignal): Promise<void> {
        if (!this.limited) return Promise.resolve();
        const turn = this.#queue.then(() => this.#take(tokens, signal));
        this.#queue = turn.catch(() => {});
        return turn;
    }

    async #take(tokens: number, signal: AbortSignal | undefined): Promise<void> {
        const {requestsPerMinute, tokensPerMinute} = this.#options;
        const need = tokensPerMinute === null ? 0 : Math.min(tokens, tokensPerMinute);
        for (;;) {
            signal?.throwIfAborted();
            this.#refill();
            const requestWait = requestsPerMinute === null || this.#requests >= 1 ? 0 : ((1 - this.#requests) * 60_000) / requestsPerMinute;
            const tokenWait = tokensPerMinute === null || this.#tokens >= need ? 0 : ((need - this.#tokens) * 60_000) / tokensPerMinute;
            const wait = Math.max(requestWait, tokenWait);
            if (wait <= 0) {
                if (requestsPerMinute !== null) this.#requests -= 1;
                if (tokensPerMinute !== null) this.#tokens -= need;
                return;
            }
            await sleep(Math.ceil(wait), signal);
        }
    }

    #refill(): void {
        const now = performance.now();
        const elapsed = now - this.#last;
        this.#last = now;
        const {requestsPerMinute, tokensPerMinute} = this.#options;
        if (requestsPerMinute !== null) this.#requests = Math.min(requestsPerMinute, this.#requests + (elapsed * requestsPerMinute) / 60_000);
        if (tokensPerMinute !== null) this.#tokens = Math.min(tokensPerMinute, this.#tokens + (elapsed * tokensPerMinute) / 60_000);
    }
}
