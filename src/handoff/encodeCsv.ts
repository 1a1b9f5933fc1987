import {stringifyJson} from "../json/stringifyJson.js";

/**
 * RFC 4180 CSV: a header line, CRLF line ends, fields holding a comma, a quote, CR or LF (or leading/trailing
 * spaces) quoted with `"` and inner quotes doubled. null/undefined is an empty field; objects and arrays are written
 * as JSON; booleans and numbers as their JSON text.
 */
export function encodeCsv(records: readonly Record<string, unknown>[], columns: readonly string[]): string {
    const lines = [columns.map(csvField).join(",")];
    for (const record of records) lines.push(columns.map((column) => csvField(cellText(record[column]))).join(","));
    return lines.join("\r\n") + "\r\n";
}

function cellText(value: unknown): string {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
    return stringifyJson(value);
}

function csvField(text: string): string {
    return /[",\r\n]|^\s|\s$/u.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Records with their JSON-object columns (`prefixes`) flattened one level: `annotation: {label, score}` becomes
 * `annotation.label` and `annotation.score`; a non-object value stays in a column named after the prefix.
 * Returns the records and the column order: columns in first-seen order, each flattened column's keys in its place.
 */
export function flattenColumns(
    records: readonly Record<string, unknown>[],
    prefixes: ReadonlySet<string>
): {records: Record<string, unknown>[]; columns: string[]} {
    const base: string[] = [];
    const keys = new Map<string, string[]>();
    const plain = new Set<string>();
    for (const record of records) {
        for (const [name, value] of Object.entries(record)) {
            if (!keys.has(name)) {
                keys.set(name, []);
                base.push(name);
            }
            if (prefixes.has(name) && value !== null && typeof value === "object" && !Array.isArray(value)) {
                const own = keys.get(name)!;
                for (const key of Object.keys(value)) if (!own.includes(key)) own.push(key);
            } else if (!prefixes.has(name) || (value !== null && value !== undefined)) {
                plain.add(name);
            }
        }
    }
    const columns = base.flatMap((name) => [
        ...(plain.has(name) || !prefixes.has(name) || keys.get(name)!.length === 0 ? [name] : []),
        ...keys.get(name)!.map((key) => `${name}.${key}`)
    ]);
    const flat = records.map((record) => {
        const out: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(record)) {
            if (prefixes.has(name) && value !== null && typeof value === "object" && !Array.isArray(value))
                for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[`${name}.${key}`] = inner;
            else out[name] = value;
        }
        return out;
    });
    return {records: flat, columns};
}
