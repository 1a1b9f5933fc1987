/** How long to wait before retry number `retry` (1 for the first retry). */
export type RetryDelayPolicy = {baseDelayMs: number; maxDelayMs: number};

/**
 * Exponential backoff with full jitter (a random wait between half and all of `base * 2^(retry-1)`), capped at
 * `maxDelayMs`. A server's `Retry-After` (seconds or an HTTP date) is honoured instead, also capped.
 */
export function retryDelayMs(retry: number, retryAfter: string | string[] | undefined, policy: RetryDelayPolicy, random: () => number = Math.random): number {
    const fromServer = parseRetryAfterMs(retryAfter);
    if (fromServer !== null) return Math.min(fromServer, policy.maxDelayMs);
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After: 3` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` in milliseconds from now; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | null {
    const text = (Array.isArray(value) ? value[0] : value)?.trim();
    if (text === undefined || text === "") return null;
    if (/^\d+(\.\d+)?$/u.test(text)) return Math.round(Number(text) * 1000);
    const date = Date.parse(text);
    return Number.isNaN(date) ? null : Math.max(0, date - now);
}
