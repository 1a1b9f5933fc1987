/**
 * Which part of an answer is its label, by the answer's JSON Schema: the whole answer ("root") when the schema is an
 * `enum` (as `--choices` makes) or a boolean, else the top-level properties that are (an object with `enum` or boolean
 * properties, in schema order); an empty list when there is none (free text, numbers, open strings).
 */
export function labelKeys(schema: Record<string, unknown> | boolean | null): "root" | string[] {
    if (schema === null || typeof schema !== "object") return [];
    if (isLabelSchema(schema)) return "root";
    const properties = schema.properties;
    if (typeof properties !== "object" || properties === null) return [];
    return Object.entries(properties as Record<string, unknown>)
        .filter(([, property]) => typeof property === "object" && property !== null && isLabelSchema(property as Record<string, unknown>))
        .map(([key]) => key);
}

function isLabelSchema(schema: Record<string, unknown>): boolean {
    return (Array.isArray(schema.enum) && schema.enum.length > 1) || schema.type === "boolean";
}
