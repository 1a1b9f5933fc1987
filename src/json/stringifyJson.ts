/**
 * `JSON.stringify` that also writes `bigint`s, as their digits: an integer beyond 2^53 read by `parseJsonText`
 * comes out exactly as it came in. For every other value the text is the same as `JSON.stringify`'s
 * (which is used whenever the value holds no bigint).
 */
export function stringifyJson(value: unknown, space?: number | string): string {
    try {
        return JSON.stringify(value, undefined, space);
    } catch (err) {
        if (!(err instanceof TypeError) || !/BigInt/u.test(err.message)) throw err;
    }
    const gap = typeof space === "number" ? " ".repeat(Math.max(0, Math.min(10, Math.trunc(space)))) : (space ?? "").slice(0, 10);
    return write(value, gap, "") ?? "null";
}

function write(input: unknown, gap: string, indent: string): string | undefined {
    let value = input;
    if (value !== null && typeof value === "object" && typeof (value as {toJSON?: unknown}).toJSON === "function")
        value = (value as {toJSON(): unknown}).toJSON();
    switch (typeof value) {
        case "bigint":
            return value.toString();
        case "string":
            return JSON.stringify(value);
        case "number":
            return Number.isFinite(value) ? JSON.stringify(value) : "null";
        case "boolean":
            return value ? "true" : "false";
        case "undefined":
        case "function":
        case "symbol":
            return undefined;
    }
    if (value === null) return "null";
    if (value instanceof Number || value instanceof String || value instanceof Boolean) return JSON.stringify(value);

    const inner = indent + gap;
    const open = gap === "" ? "" : `\n${inner}`;
    const separator = gap === "" ? "," : `,\n${inner}`;
    const close = gap === "" ? "" : `\n${indent}`;
    if (Array.isArray(value)) {
        if (value.length === 0) return "[]";
        const items = value.map((item: unknown) => write(item, gap, inner) ?? "null");
        return `[${open}${items.join(separator)}${close}]`;
    }
    const members: string[] = [];
    for (const key of Object.keys(value as object)) {
        const item = write((value as Record<string, unknown>)[key], gap, inner);
        if (item !== undefined) members.push(`${JSON.stringify(key)}:${gap === "" ? "" : " "}${item}`);
    }
    if (members.length === 0) return "{}";
    return `{${open}${members.join(separator)}${close}}`;
}
