/**
 * JSON with object keys sorted at every level, so equal values give equal text whatever their key order
 * (enum/const checks of the schema grammar, answer keys and Prodigy hashes of the handoff). Object members
 * whose value is undefined are left out (as in `JSON.stringify`); undefined anywhere else is null.
 */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, item]) => item !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
    }
    return typeof value === "bigint" ? value.toString() : JSON.stringify(value ?? null);
}
