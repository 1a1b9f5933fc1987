/** The JSON Schema type names a value has ("integer" values are also "number"). */
export function jsonTypesOf(value: unknown): string[] {
    if (value === null) return ["null"];
    if (Array.isArray(value)) return ["array"];
    switch (typeof value) {
        case "boolean":
            return ["boolean"];
        case "string":
            return ["string"];
        case "number":
            return Number.isInteger(value) ? ["integer", "number"] : ["number"];
        case "object":
            return ["object"];
        default:
            return [];
    }
}

/** Length in code points, as JSON Schema (and ajv) counts it. */
export function codePointLength(text: string): number {
    let n = 0;
    for (const _ of text) n++;
    return n;
}
