import {numberFormats} from "./formatGrammar.js";
import {canonicalJson} from "../../canonicalJson.js";
import type {SchemaNode} from "./SchemaNode.js";

export const jsonTypes = ["null", "boolean", "object", "array", "number", "integer", "string"] as const;
export type JsonType = (typeof jsonTypes)[number];

const objectKeywords = [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "unevaluatedProperties"
];
const arrayKeywords = [
    "items",
    "prefixItems",
    "additionalItems",
    "minItems",
    "maxItems",
    "contains",
    "uniqueItems",
    "unevaluatedItems",
    "minContains",
    "maxContains"
];
const stringKeywords = ["minLength", "maxLength", "pattern"];
const numberKeywords = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];

/**
 * The JSON types a node's value may have: the intersection of its `type` keywords ("number" includes
 * "integer"); without any, the types its other keywords are about (a schema with only `properties` describes
 * objects), and all types when nothing tells.
 */
export function allowedTypes(node: SchemaNode): Set<JsonType> {
    const listedSets: Set<JsonType>[] = [];
    for (const {value} of node.all("type")) {
        const listed = new Set((Array.isArray(value) ? value : [value]).filter((t): t is JsonType => jsonTypes.includes(t as JsonType)));
        if (listed.has("number")) listed.add("integer");
        listedSets.push(listed);
    }
    const allowed = listedSets.length === 0 ? null : listedSets.reduce((a, b) => new Set(Array.from(a).filter((t) => b.has(t))));
    if (allowed !== null) return allowed;
    const inferred = new Set<JsonType>();
    const any = (keywords: string[]) => keywords.some((k) => node.has(k));
    if (any(objectKeywords)) inferred.add("object");
    if (any(arrayKeywords)) inferred.add("array");
    if (any(stringKeywords)) inferred.add("string");
    if (any(numberKeywords)) {
        inferred.add("number");
        inferred.add("integer");
    }
    for (const {value} of node.all("format")) {
        if (typeof value !== "string") continue;
        if (numberFormats.has(value)) {
            inferred.add("number");
            inferred.add("integer");
        } else inferred.add("string");
    }
    return inferred.size > 0 ? inferred : new Set(jsonTypes);
}

/** The values `enum`/`const` allow (their intersection), or null when the node has neither. */
export function allowedLiterals(node: SchemaNode): unknown[] | null {
    let values: unknown[] | null = null;
    const keep = (list: unknown[]) => {
        if (values === null) {
            const seen = new Set<string>();
            values = list.filter((v) => !seen.has(canonicalJson(v)) && seen.add(canonicalJson(v)));
        } else {
            const keys = new Set(list.map(canonicalJson));
            values = values.filter((v) => keys.has(canonicalJson(v)));
        }
    };
    for (const {value} of node.all("enum")) if (Array.isArray(value)) keep(value);
    for (const {value} of node.all("const")) keep([value]);
    return values;
}
