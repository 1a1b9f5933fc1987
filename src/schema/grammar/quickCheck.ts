import {canonicalJson} from "../../canonicalJson.js";
import {codePointLength, jsonTypesOf} from "./jsonValues.js";
import {patternMatches} from "./patternMatches.js";
import {isSchemaObject} from "./SchemaDocument.js";
import type {SchemaNode} from "./SchemaNode.js";

/** The keywords quickCheck tests; with an enum, any other validation keyword is left to ajv. */
export const quickCheckedKeywords = new Set([
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "required",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties"
]);

/**
 * Whether a literal value satisfies the node's keywords that quickCheckedKeywords lists (used to filter enum
 * values, object keys and oneOf branches). Other keywords are not looked at.
 */
export function quickCheck(value: unknown, node: SchemaNode): boolean {
    if (node.never) return false;
    const types = jsonTypesOf(value);
    for (const source of node.sources) {
        const s = source.schema;
        if (s.type !== undefined) {
            const allowed = Array.isArray(s.type) ? s.type : [s.type];
            if (!allowed.some((t) => types.includes(String(t)))) return false;
        }
        if (Array.isArray(s.enum) && !enumKeys(s.enum).has(canonicalJson(value))) return false;
        if ("const" in s && canonicalJson(s.const) !== canonicalJson(value)) return false;
        if (typeof value === "number" && !numberOk(value, s)) return false;
        if (typeof value === "string" && !stringOk(value, s)) return false;
        if (Array.isArray(value)) {
            if (typeof s.minItems === "number" && value.length < s.minItems) return false;
            if (typeof s.maxItems === "number" && value.length > s.maxItems) return false;
        }
        if (isSchemaObject(value)) {
            if (Array.isArray(s.required) && !s.required.every((k) => typeof k !== "string" || k in value)) return false;
            const count = Object.keys(value).length;
            if (typeof s.minProperties === "number" && count < s.minProperties) return false;
            if (typeof s.maxProperties === "number" && count > s.maxProperties) return false;
        }
    }
    return true;
}

const enumKeyCache = new WeakMap<unknown[], Set<string>>();

function enumKeys(values: unknown[]): Set<string> {
    let keys = enumKeyCache.get(values);
    if (keys === undefined) {
        keys = new Set(values.map(canonicalJson));
        enumKeyCache.set(values, keys);
    }
    return keys;
}

function numberOk(value: number, s: Record<string, unknown>): boolean {
    if (typeof s.minimum === "number" && (s.exclusiveMinimum === true ? value <= s.minimum : value < s.minimum)) return false;
    if (typeof s.maximum === "number" && (s.exclusiveMaximum === true ? value >= s.maximum : value > s.maximum)) return false;
    if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum) return false;
    if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum) return false;
    if (typeof s.multipleOf === "number" && s.multipleOf > 0) {
        const ratio = value / s.multipleOf;
        if (ratio !== Math.trunc(ratio)) return false;
    }
    return true;
}

function stringOk(value: string, s: Record<string, unknown>): boolean {
    const length = codePointLength(value);
    if (typeof s.minLength === "number" && length < s.minLength) return false;
    if (typeof s.maxLength === "number" && length > s.maxLength) return false;
    if (typeof s.pattern === "string" && !patternMatches(s.pattern, value)) return false;
    return true;
}
