import type {ColumnInfo} from "./Dataset.js";

type TypeNode = {kind: "scalar"; name: string} | {kind: "list"; item: TypeNode} | {kind: "struct"; fields: Map<string, TypeNode>};

const nullType: TypeNode = {kind: "scalar", name: "null"};
const jsonType: TypeNode = {kind: "scalar", name: "json"};

/**
 * Infers columns from sample records (JSON values): columns in order of first appearance, types
 * "string", "int64", "float64", "bool", "null" (only nulls seen), "list<T>", "struct<a: T, ...>",
 * or "json" when values of different kinds were seen. Integers and floats unify to "float64";
 * null unifies with anything.
 */
export function inferColumns(samples: Iterable<Record<string, unknown>>): ColumnInfo[] {
    const columns = new Map<string, TypeNode>();
    for (const values of samples) {
        for (const [name, value] of Object.entries(values)) {
            const type = typeOf(value);
            const known = columns.get(name);
            columns.set(name, known == null ? type : unify(known, type));
        }
    }
    return [...columns].map(([name, type]) => ({name, type: typeName(type)}));
}

function typeOf(value: unknown): TypeNode {
    if (value === null || value === undefined) return nullType;
    if (Array.isArray(value)) return {kind: "list", item: value.map(typeOf).reduce(unify, nullType)};
    switch (typeof value) {
        case "string":
            return {kind: "scalar", name: "string"};
        case "boolean":
            return {kind: "scalar", name: "bool"};
        case "number":
            return {kind: "scalar", name: Number.isInteger(value) ? "int64" : "float64"};
        case "bigint":
            return {kind: "scalar", name: "int64"};
        case "object": {
            const fields = new Map<string, TypeNode>();
            for (const [key, item] of Object.entries(value as Record<string, unknown>)) fields.set(key, typeOf(item));
            return {kind: "struct", fields};
        }
        default:
            return jsonType;
    }
}

function unify(a: TypeNode, b: TypeNode): TypeNode {
    if (a.kind === "scalar" && a.name === "null") return b;
    if (b.kind === "scalar" && b.name === "null") return a;
    if (a.kind === "scalar" && b.kind === "scalar") {
        if (a.name === b.name) return a;
        const numeric = new Set(["int64", "float64"]);
        if (numeric.has(a.name) && numeric.has(b.name)) return {kind: "scalar", name: "float64"};
        return jsonType;
    }
    if (a.kind === "list" && b.kind === "list") return {kind: "list", item: unify(a.item, b.item)};
    if (a.kind === "struct" && b.kind === "struct") {
        const fields = new Map(a.fields);
        for (const [key, type] of b.fields) {
            const known = fields.get(key);
            fields.set(key, known == null ? type : unify(known, type));
        }
        return {kind: "struct", fields};
    }
    return jsonType;
}

function typeName(type: TypeNode): string {
    switch (type.kind) {
        case "scalar":
            return type.name;
        case "list":
            return `list<${typeName(type.item)}>`;
        case "struct":
            return `struct<${[...type.fields].map(([key, item]) => `${key}: ${typeName(item)}`).join(", ")}>`;
    }
}
