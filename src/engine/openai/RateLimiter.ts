import {sleep} from "./sleep.js";

export type RateLimiterOptions = {
    /** Requests started per minute at most; null for no limit. */
    requestsPerMinute: number | null;
    /** Tokens (the caller's estimate per request) per minute at most; null for no limit. */
    tokensPerMinute: number | null;
};

/**
 * Spare time added to every window: a server counts arrivals, and a request's way there varies (a new connection
 * against a kept-alive one, a busy event loop), so starts exactly a window apart could arrive a little less apart.
 * It lowers the long-run rate by 2% at most (windows are 1 s or longer).
 */
export const rateLimitSpareMs = 20;

/**
 * The starts still counted: each holds its amount (1 request, or its tokens) for at least `windowMs` (longer for an
 * amount above the capacity: `amount × windowMs / capacity`), and a start may happen while the amounts held, its own
 * included, stay within `capacity` (one larger than the capacity starts alone, when nothing is held). So no half-open
 * window of `windowMs` holds starts of more than `capacity` (or that one start), and the long-run rate is `capacity`
 * per `windowMs`.
 *
 * Each start also stays counted until `amount × windowMs / capacity` after the one before it stops counting: after a
 * burst, the next starts come evenly spaced instead of all at once when the burst's window ends. Starts therefore
 * stop counting in the order they happened.
 */
class StartLog {
    readonly #capacity: number;
    readonly #windowMs: number;
    readonly #msPerUnit: number;
    /** Oldest first; `until` (performance.now() milliseconds) never decreases along it. */
    readonly #held: {amount: number; until: number}[] = [];
    #sum = 0;
    #lastUntil = -Infinity;

    public constructor(capacity: number, windowMs: number) {
        this.#capacity = capacity;
        this.#windowMs = windowMs;
        this.#msPerUnit = windowMs / capacity;
    }

    /** Milliseconds from `now` until `amount` may start (0: now). */
    public waitMs(now: number, amount: number): number {
        while (this.#held.length > 0 && this.#held[0]!.until <= now) this.#sum -= this.#held.shift()!.amount;
        if (this.#held.length === 0) this.#sum = 0;
        if (this.#held.length === 0 || this.#sum + amount <= this.#capacity) return 0;
        // the earliest time enough of what is held stops counting (all of it, for an amount above the capacity)
        let sum = this.#sum;
        for (const [i, held] of this.#held.entries()) {
            sum -= held.amount;
            if (i === this.#held.length - 1 || sum + amount <= this.#capacity) return held.until - now;
        }
        return 0;
    }

    public add(now: number, amount: number): void {
        const spacing = amount * this.#msPerUnit;
        const until = Math.max(now + Math.max(this.#windowMs, spacing), this.#lastUntil + spacing);
        this.#lastUntil = until;
        this.#held.push({amount, until});
        this.#sum += amount;
    }
}

/**
 * Smooth rate limits: the burst is one second's share, and no 1-second window ever holds more than that.
 *
 * - Requests: at most `ceil(requestsPerMinute / 60)` (at least 1) start in any half-open 1-second window, all at once
 *   after an idle spell, then evenly spaced (`60 s / requestsPerMinute` apart: 100 ms at 600/min, 6 s at 10/min).
 * - Tokens: the starts of any 1-second window hold at most `tokensPerMinute / 60` tokens. A request estimated above
 *   that starts alone and counts for as long as its tokens take at the configured rate (capped at one minute's
 *   tokens, so no request waits more than a minute), so later ones wait and the long-run rate still holds.
 *
 * Windows are {@link rateLimitSpareMs} longer than the rate needs, for the requests' varying way to the server. A
 * server that enforces the per-minute limit per second is not overrun. Callers are served in arrival order.
 */
export class RateLimiter {
    readonly #options: RateLimiterOptions;
    readonly #requests: StartLog | null;
    readonly #tokens: StartLog | null;
    #queue: Promise<void> = Promise.resolve();

    public constructor(options: RateLimiterOptions) {
        this.#options = options;
        const {requestsPerMinute, tokensPerMinute} = options;
        if (requestsPerMinute === null) this.#requests = null;
        else {
            // one second's share rounded up, per window as long as that takes at the rate: 1 s at multiples of 60/min, 6 s at 10/min
            const burst = Math.max(1, Math.ceil(requestsPerMinute / 60));
            this.#requests = new StartLog(burst, (burst * 60_000) / requestsPerMinute + rateLimitSpareMs);
        }
        this.#tokens = tokensPerMinute === null ? null : new StartLog(tokensPerMinute / 60, 1000 + rateLimitSpareMs);
    }

    public get limited(): boolean {
        return this.#options.requestsPerMinute !== null || this.#options.tokensPerMinute !== null;
    }

    /** Resolves when one request of `tokens` tokens may start; rejects with the signal's reason when it aborts first. */
    public acquire(tokens: number, signal?: AbortSignal): Promise<void> {
        if (!this.limited) return Promise.resolve();
        const turn = this.#queue.then(() => this.#take(tokens, signal));
        this.#queue = turn.catch(() => {});
        return turn;
    }

    async #take(tokens: number, signal: AbortSignal | undefined): Promise<void> {
        const {tokensPerMinute} = this.#options;
        const need = tokensPerMinute === null ? 0 : Math.max(0, Math.min(tokens, tokensPerMinute));
        for (;;) {
            signal?.throwIfAborted();
            const now = performance.now();
            const wait = Math.max(this.#requests?.waitMs(now, 1) ?? 0, this.#tokens?.waitMs(now, need) ?? 0);
            if (wait <= 0) {
                this.#requests?.add(now, 1);
                this.#tokens?.add(now, need);
                return;
            }
            // a timer may fire a little early on performance.now()'s clock: the loop checks again
            await sleep(Math.ceil(wait), signal);
        }
    }
}
