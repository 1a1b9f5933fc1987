import type {CompilerContext} from "./CompilerContext.js";
import {literal, optional, seq, type Gbnf} from "./gbnf.js";
import {isSchemaObject, pointerAppend, type SchemaSource, type SchemaValue} from "./SchemaDocument.js";
import type {SchemaNode} from "./SchemaNode.js";

function isSchema(value: unknown): value is SchemaValue {
    return typeof value === "boolean" || isSchemaObject(value);
}

/** Subschemas for array position `index` (tuple keywords first, then the schema for the remaining items). */
function sourcesAt(node: SchemaNode, index: number | "rest"): SchemaSource[] | "forbidden" {
    const out: SchemaSource[] = [];
    for (const {schema: s, path} of node.sources) {
        let rest: SchemaSource | null = null;
        let tuple: unknown[] | null = null;
        let tuplePath = "";
        if (Array.isArray(s.prefixItems)) {
            tuple = s.prefixItems;
            tuplePath = pointerAppend(path, "prefixItems");
            if (isSchema(s.items)) rest = {schema: s.items, path: pointerAppend(path, "items")};
        } else if (Array.isArray(s.items)) {
            tuple = s.items;
            tuplePath = pointerAppend(path, "items");
            if (isSchema(s.additionalItems)) rest = {schema: s.additionalItems, path: pointerAppend(path, "additionalItems")};
        } else if (isSchema(s.items)) {
            rest = {schema: s.items, path: pointerAppend(path, "items")};
        }
        if (tuple !== null && index !== "rest" && index < tuple.length) {
            out.push({schema: tuple[index] as SchemaValue, path: pointerAppend(tuplePath, index)});
            continue;
        }
        if (rest !== null) {
            if (rest.schema === false) return "forbidden";
            out.push(rest);
        } else if (tuple !== null || s.unevaluatedItems !== undefined) {
            if (s.unevaluatedItems === false) return "forbidden";
            if (isSchemaObject(s.unevaluatedItems)) out.push({schema: s.unevaluatedItems, path: pointerAppend(path, "unevaluatedItems")});
        }
    }
    return out;
}

/**
 * The grammar of an array node: tuple positions (prefixItems / items arrays) then the remaining items, with
 * minItems/maxItems as exact repetition counts; `contains` is satisfied by the first items.
 */
export function arrayGrammar(ctx: CompilerContext, node: SchemaNode, hint: string): Gbnf {
    const {builder, ws, ledger} = ctx;
    let minItems = Math.max(0, ...node.numbers("minItems").map((e) => e.value));
    const schemaMax = Math.min(Infinity, ...node.numbers("maxItems").map((e) => e.value));
    let maxItems = schemaMax;
    let tupleLength = 0;
    for (const {schema: s} of node.sources) {
        const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
        tupleLength = Math.max(tupleLength, tuple.length);
    }

    // contains: the first minContains items satisfy it
    const contains = node.all("contains").filter((e) => isSchema(e.value));
    let containsCount = 0;
    if (contains.length > 0) {
        const minContains = Math.max(...node.all("minContains").map((e) => (typeof e.value === "number" ? e.value : 1)), node.has("minContains") ? 0 : 1);
        containsCount = minContains;
        minItems = Math.max(minItems, minContains);
        for (const {value, path} of node.all("maxContains")) {
            if (typeof value === "number" && value < maxItems)
                ledger.validatedOnly(path, "maxContains", "at most N matching items needs counting the grammar does not do");
        }
    }
    for (const {value, path} of node.all("uniqueItems")) {
        if (value === true && maxItems > 1)
            ledger.validatedOnly(path, "uniqueItems", "distinct items need memory of the earlier items; a grammar cannot express it");
    }
    if (maxItems < minItems) return null;
    // the grammar-only cap never goes below what the schema requires
    maxItems = Math.min(maxItems, Math.max(minItems, tupleLength, ctx.options.maxItems));
    const positioned = Math.min(Math.max(tupleLength, containsCount), maxItems);

    const restSources = sourcesAt(node, "rest");
    const rest: Gbnf = restSources === "forbidden" ? null : ctx.compile(node.child(restSources), `${hint}-item`);
    if (rest === null && maxItems > positioned) maxItems = Math.max(minItems, positioned);
    const at: Gbnf[] = [];
    for (let i = 0; i < positioned; i++) {
        const sources = sourcesAt(node, i);
        if (sources === "forbidden") {
            at.push(null);
            continue;
        }
        const withContains =
            i < containsCount
                ? [...sources, ...contains.map(({value, path}) => ({schema: value as SchemaValue, path: pointerAppend(path, "contains")}))]
                : sources;
        at.push(ctx.compile(node.child(withContains), `${hint}-item${i}`));
    }

    const comma = seq(literal(","), ctx.separatorWs);
    // after(i): what may follow once i items are written
    const after = (i: number): Gbnf => {
        if (i >= maxItems) return "";
        if (i >= positioned) {
            if (rest === null) return i >= minItems ? "" : null;
            return builder.repeat(seq(comma, rest, ws), Math.max(0, minItems - i), maxItems - i, `${hint}-items`);
        }
        const next = seq(comma, at[i]!, ws, after(i + 1));
        if (next === null) return i >= minItems ? "" : null;
        return i >= minItems ? optional(next) : next;
    };
    const firstItem = positioned > 0 ? at[0]! : rest;
    let items: Gbnf = maxItems === 0 ? "" : seq(firstItem, ws, after(1));
    if (minItems === 0) items = items === null ? "" : optional(items);
    return seq(literal("["), ws, items, literal("]"));
}
