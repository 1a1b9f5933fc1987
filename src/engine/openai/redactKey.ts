/** What a key is replaced with. */
export const REDACTED = "[redacted]";

/** Runs of base64 (standard or URL-safe) long enough to hold a key: `Basic <base64 of user:key>` and the like. */
const base64Run = /[A-Za-z0-9+/_-]{12,}={0,2}/gu;

/**
 * `text` with every form of `key` a server may echo replaced by `[redacted]`: as is, JSON-escaped (`\/` and `\u002f`
 * included), URL-encoded (upper- or lower-case hex), and inside base64 (of the key, or of `user:key` as in a Basic
 * Authorization header). Callers apply it to raw bodies and again to every text decoded from them.
 */
export function redactKey(text: string, key: string | null): string {
    if (key === null || key.length === 0 || text.length === 0) return text;
    let result = text;
    for (const form of formsOf(key)) if (result.includes(form)) result = result.split(form).join(REDACTED);
    return result.replace(base64Run, (run) => (holdsKey(run, key) ? REDACTED : run));
}

/** The literal forms of a key, longest first (so that a form inside another is not replaced first). */
function formsOf(key: string): string[] {
    const json = JSON.stringify(key).slice(1, -1);
    const url = encodeURIComponent(key);
    // every character but letters and digits percent-encoded, as some clients do
    const fullUrl = [...Buffer.from(key, "utf8")]
        .map((byte) => (/[A-Za-z0-9]/u.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`))
        .join("");
    const forms = new Set([
        key,
        json,
        json.replace(/\//gu, "\\/"),
        json.replace(/\//gu, "\\u002f"),
        json.replace(/\//gu, "\\u002F"),
        url,
        lowerHex(url),
        fullUrl,
        lowerHex(fullUrl)
    ]);
    return [...forms].sort((a, b) => b.length - a.length);
}

function lowerHex(text: string): string {
    return text.replace(/%[0-9A-F]{2}/gu, (hex) => hex.toLowerCase());
}

/** Whether a run of base64 decodes (at any of the four alignments a prefix can give it) to bytes holding the key. */
function holdsKey(run: string, key: string): boolean {
    const needle = Buffer.from(key, "utf8");
    for (let start = 0; start < 4 && run.length - start >= 12; start++) {
        const decoded = Buffer.from(run.slice(start).replace(/=+$/u, ""), "base64");
        if (decoded.includes(needle)) return true;
    }
    return false;
}
