/**
 * Turns a decoded value into plain JSON-serializable JS:
 * - `undefined` → null; NaN/±Infinity → null (JSON has no such numbers)
 * - bigint → number when it is a safe integer, else the bigint itself (written back digit for digit by `stringifyJson`)
 * - Date → ISO 8601 string (an invalid Date → null)
 * - Uint8Array / Buffer / ArrayBuffer → base64 string
 * - other typed arrays → arrays of numbers
 * - Map → object with string keys; arrays and plain objects are converted recursively
 */
export function toPlainValue(value: unknown): unknown {
    if (value === null || value === undefined) return null;

    switch (typeof value) {
        case "string":
        case "boolean":
            return value;
        case "number":
            return Number.isFinite(value) ? value : null;
        case "bigint":
            return bigintToPlain(value);
        case "function":
        case "symbol":
            return null;
    }

    if (Array.isArray(value)) return value.map(toPlainValue);

    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();

    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");

    if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");

    if (ArrayBuffer.isView(value)) {
        const items: unknown[] = [];
        for (const item of value as unknown as Iterable<unknown>) items.push(toPlainValue(item));
        return items;
    }

    if (value instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [key, item] of value) out[String(toPlainValue(key))] = toPlainValue(item);
        return out;
    }

    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = toPlainValue(item);
    return out;
}

/** A bigint as a number when it is a safe integer, else kept as a bigint (a number would lose digits). */
function bigintToPlain(value: bigint): number | bigint {
    if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(value);
    return value;
}
