import type {CompilerContext} from "./CompilerContext.js";
import {alt, literal, seq, type Gbnf} from "./gbnf.js";
import {codePointLength} from "./jsonValues.js";
import {patternMatches} from "./patternMatches.js";
import {regexGrammar} from "./regexGrammar.js";
import {isSchemaObject, pointerAppend, type SchemaSource} from "./SchemaDocument.js";
import type {SchemaNode} from "./SchemaNode.js";
import {stringExcluding} from "./stringExcluding.js";

export type PlannedProperty = {key: string; required: boolean; sources: SchemaSource[]};
type PatternEntry = {pattern: string; path: string; sources: SchemaSource[]};

/** What the grammar of an object node will produce. */
export type ObjectPlan = {
    /** Declared properties in schema order (required ones must appear). */
    properties: PlannedProperty[];
    /** A required property cannot be produced: no object is possible. */
    never: boolean;
    /** Free keys (not declared) and the subschemas their values must satisfy; null when none are produced. */
    extras: {sources: SchemaSource[]} | null;
    /** Entries keyed by patternProperties. */
    patterns: PatternEntry[];
    /** Every key the schema declares (written or not): free keys never take these. */
    declaredKeys: string[];
    /** How many extra/pattern entries: min..max. */
    minEntries: number;
    maxEntries: number;
};

function objectsOf(node: SchemaNode, keyword: string): {value: Record<string, unknown>; path: string}[] {
    return node.all(keyword).filter((e): e is {value: Record<string, unknown>; path: string} => isSchemaObject(e.value));
}

/** The subschemas a value under `key` must satisfy, or "forbidden" when some conjunct disallows the key. */
export function sourcesForKey(node: SchemaNode, key: string): SchemaSource[] | "forbidden" {
    if (node.forbiddenKeys.has(key)) return "forbidden";
    const out: SchemaSource[] = [];
    const declaredAnywhere = node.sources.some(
        (s) =>
            (isSchemaObject(s.schema.properties) && key in s.schema.properties) ||
            (isSchemaObject(s.schema.patternProperties) && Object.keys(s.schema.patternProperties).some((p) => patternMatches(p, key)))
    );
    for (const source of node.sources) {
        const s = source.schema;
        if (isSchemaObject(s.properties) && Object.hasOwn(s.properties, key)) {
            out.push({schema: s.properties[key] as SchemaSource["schema"], path: pointerAppend(source.path, "properties", key)});
            continue;
        }
        let matched = false;
        if (isSchemaObject(s.patternProperties)) {
            for (const [pattern, schema] of Object.entries(s.patternProperties)) {
                if (!patternMatches(pattern, key)) continue;
                matched = true;
                out.push({schema: schema as SchemaSource["schema"], path: pointerAppend(source.path, "patternProperties", pattern)});
            }
        }
        if (matched) continue;
        if (s.additionalProperties === false) return "forbidden";
        if (isSchemaObject(s.additionalProperties)) out.push({schema: s.additionalProperties, path: pointerAppend(source.path, "additionalProperties")});
        if (!declaredAnywhere) {
            if (s.unevaluatedProperties === false) return "forbidden";
            if (isSchemaObject(s.unevaluatedProperties)) out.push({schema: s.unevaluatedProperties, path: pointerAppend(source.path, "unevaluatedProperties")});
        }
    }
    return out;
}

/** Decides which properties and entries an object node produces (also used to separate oneOf branches). */
export function planObject(ctx: CompilerContext, node: SchemaNode): ObjectPlan {
    const ledger = ctx.ledger;
    const order: string[] = [];
    const add = (key: string) => {
        if (!order.includes(key)) order.push(key);
    };
    for (const {value} of objectsOf(node, "properties")) Object.keys(value).forEach(add);
    const required = new Set<string>();
    for (const {value} of node.all("required")) if (Array.isArray(value)) for (const k of value) if (typeof k === "string") required.add(k);
    for (const key of node.requiredKeys) required.add(key);
    required.forEach(add);

    // dependentRequired (and draft-07 array-valued dependencies): a present trigger needs its dependents
    const dependents = new Map<string, {keys: string[]; path: string; keyword: string}>();
    for (const keyword of ["dependentRequired", "dependencies"]) {
        for (const {value, path} of objectsOf(node, keyword)) {
            for (const [trigger, deps] of Object.entries(value)) {
                if (Array.isArray(deps)) dependents.set(trigger, {keys: deps.filter((d): d is string => typeof d === "string"), path, keyword});
            }
        }
    }
    const producible = (key: string) => sourcesForKey(node, key) !== "forbidden";
    const dropped = new Set<string>();
    for (let changed = true; changed; ) {
        changed = false;
        for (const [trigger, {keys}] of dependents) {
            if (dropped.has(trigger) || !order.includes(trigger)) continue;
            const allDeclared = keys.every((k) => order.includes(k) || required.has(k));
            const mustKeep = required.has(trigger);
            if (keys.every(producible) && (mustKeep || allDeclared)) {
                for (const k of keys) {
                    if (!required.has(k)) {
                        required.add(k);
                        add(k);
                        changed = true;
                    }
                }
            } else if (!mustKeep) {
                dropped.add(trigger);
                changed = true;
            }
        }
    }

    let never = false;
    const properties: PlannedProperty[] = [];
    for (const key of order) {
        if (dropped.has(key)) continue;
        const sources = sourcesForKey(node, key);
        if (sources === "forbidden") {
            if (required.has(key)) never = true;
            continue;
        }
        properties.push({key, required: required.has(key), sources});
    }
    for (const {keys, path, keyword} of dependents.values()) {
        if (keys.some((k) => !producible(k)) && properties.some((p) => p.required && keys.includes(p.key)))
            ledger.validatedOnly(path, keyword, "a dependent property cannot be produced");
    }

    // propertyNames: declared keys must satisfy it; free keys are only produced when it is absent
    const propertyNames = node.all("propertyNames");
    if (propertyNames.length > 0) {
        const namesNode = node.child(
            propertyNames.map(({value, path}) => ({schema: value as SchemaSource["schema"], path: pointerAppend(path, "propertyNames")}))
        );
        for (const property of [...properties]) {
            if (quickCheckKey(namesNode, property.key)) continue;
            if (property.required) never = true;
            properties.splice(properties.indexOf(property), 1);
        }
    }

    // extra keys: only where the schema explicitly allows them, or for an object with no declared shape
    const explicitExtras = node.sources.some((s) => s.schema.additionalProperties === true || isSchemaObject(s.schema.additionalProperties));
    const noExtras = node.sources.some((s) => s.schema.additionalProperties === false || s.schema.unevaluatedProperties === false);
    const patternSources = objectsOf(node, "patternProperties");
    const shapeless = order.length === 0 && patternSources.length === 0;
    let extras: ObjectPlan["extras"] = null;
    if (!noExtras && (explicitExtras || shapeless) && patternSources.length === 0 && propertyNames.length === 0) {
        const sources: SchemaSource[] = [];
        for (const s of node.sources) {
            if (isSchemaObject(s.schema.additionalProperties))
                sources.push({schema: s.schema.additionalProperties, path: pointerAppend(s.path, "additionalProperties")});
            if (isSchemaObject(s.schema.unevaluatedProperties))
                sources.push({schema: s.schema.unevaluatedProperties, path: pointerAppend(s.path, "unevaluatedProperties")});
        }
        extras = {sources};
    }

    // pattern entries: from a single subschema whose other conjuncts do not restrict extra keys
    const patterns: PatternEntry[] = [];
    if (patternSources.length === 1 && propertyNames.length === 0) {
        const owner = patternSources[0]!;
        const othersRestrict = node.sources.some(
            (s) =>
                s.path !== owner.path &&
                ((s.schema.additionalProperties !== undefined && s.schema.additionalProperties !== true) || s.schema.unevaluatedProperties !== undefined)
        );
        if (!othersRestrict) {
            const all = Object.entries(owner.value).map(([pattern, schema]) => ({
                schema: schema as SchemaSource["schema"],
                path: pointerAppend(owner.path, "patternProperties", pattern)
            }));
            for (const pattern of Object.keys(owner.value)) {
                if ([...node.forbiddenKeys].some((k) => patternMatches(pattern, k))) continue;
                if (order.some((k) => patternMatches(pattern, k))) {
                    ledger.validatedOnly(owner.path, "patternProperties", "a declared property also matches a pattern: a generated key could repeat it");
                }
                patterns.push({pattern, path: owner.path, sources: all});
            }
        }
    }

    // minProperties / maxProperties
    let minEntries = 0;
    let maxEntries = extras !== null || patterns.length > 0 ? Infinity : 0;
    const minProperties = Math.max(0, ...node.numbers("minProperties").map((e) => e.value));
    const maxProperties = Math.min(Infinity, ...node.numbers("maxProperties").map((e) => e.value));
    let requiredCount = properties.filter((p) => p.required).length;
    if (requiredCount > maxProperties) never = true;
    if (properties.length > maxProperties) {
        let optionalLeft = maxProperties - requiredCount;
        for (const property of [...properties]) {
            if (property.required) continue;
            if (optionalLeft > 0) optionalLeft--;
            else properties.splice(properties.indexOf(property), 1);
        }
    }
    maxEntries = Math.min(maxEntries, Math.max(0, maxProperties - properties.length));
    for (const property of properties) {
        if (requiredCount >= minProperties) break;
        if (!property.required) {
            property.required = true;
            requiredCount++;
        }
    }
    if (requiredCount < minProperties) {
        minEntries = minProperties - requiredCount;
        if (minEntries > maxEntries) never = true;
    }
    // the grammar-only cap on entries never goes below what the schema requires
    maxEntries = Math.min(maxEntries, Math.max(minEntries, ctx.options.maxItems));
    return {properties, never, extras, patterns, declaredKeys: order, minEntries, maxEntries};
}

function quickCheckKey(namesNode: SchemaNode, key: string): boolean {
    for (const source of namesNode.sources) {
        const s = source.schema;
        if (typeof s.pattern === "string" && !patternMatches(s.pattern, key)) return false;
        if (typeof s.maxLength === "number" && codePointLength(key) > s.maxLength) return false;
        if (typeof s.minLength === "number" && codePointLength(key) < s.minLength) return false;
        if (Array.isArray(s.enum) && !s.enum.includes(key)) return false;
        if ("const" in s && s.const !== key) return false;
    }
    return !namesNode.never;
}

/**
 * The grammar of an object node: declared properties in schema order (optional ones may be left out), then
 * extra/pattern entries; `{`, `:`, `,` and `}` with bounded optional whitespace.
 */
export function objectGrammar(ctx: CompilerContext, node: SchemaNode, hint: string): Gbnf {
    const plan = planObject(ctx, node);
    if (plan.never) return null;
    const {builder, ws, separatorWs} = ctx;
    const members: {kv: Gbnf; required: boolean}[] = [];
    for (const property of plan.properties) {
        const value = ctx.compile(node.child(property.sources), `${hint}-${property.key}`);
        if (value === null) {
            if (property.required) return null;
            continue;
        }
        members.push({kv: seq(literal(JSON.stringify(property.key)), ws, literal(":"), separatorWs, value, ws), required: property.required});
    }

    // entries: "key": value for free keys and pattern keys
    const entryOptions: Gbnf[] = [];
    const cap = ctx.options.maxStringLength;
    if (plan.extras !== null && plan.maxEntries > 0) {
        const value = plan.extras.sources.length === 0 ? ctx.anyValue() : ctx.compile(node.child(plan.extras.sources), `${hint}-extra`);
        // never a key the schema declares (its own schema applies) or one this node must not write
        const key = stringExcluding([...new Set([...plan.declaredKeys, ...node.forbiddenKeys])], builder, cap);
        if (key !== null) entryOptions.push(seq(literal('"'), key, literal('"'), ws, literal(":"), separatorWs, value, ws));
    }
    if (plan.maxEntries > 0) {
        for (const entry of plan.patterns) {
            let key: Gbnf;
            try {
                key = regexGrammar(entry.pattern, builder, {minLength: 0, maxLength: Infinity, cap}).content;
            } catch {
                ctx.ledger.validatedOnly(
                    entry.path,
                    "patternProperties",
                    `pattern ${JSON.stringify(entry.pattern)} cannot be encoded: no keys are generated for it`
                );
                continue;
            }
            const value = ctx.compile(node.child(entry.sources), `${hint}-entry`);
            entryOptions.push(seq(literal('"'), key, literal('"'), ws, literal(":"), separatorWs, value, ws));
        }
    }
    const entry = alt(entryOptions);
    const comma = seq(literal(","), separatorWs);
    let entriesFirst: Gbnf = "";
    let entriesRest: Gbnf = "";
    if (entry !== null) {
        const one = builder.rule(`${hint}-entry`, entry);
        const more = builder.repeat(seq(comma, one), Math.max(0, plan.minEntries - 1), plan.maxEntries - 1, `${hint}-entries`);
        entriesRest = builder.repeat(seq(comma, one), plan.minEntries, plan.maxEntries, `${hint}-entries`);
        entriesFirst = plan.minEntries > 0 ? seq(one, more) : alt(["", seq(one, more)]);
    } else if (plan.minEntries > 0) {
        return null;
    }

    if (ctx.options.propertyOrder === "any" && members.length >= 2 && members.length <= maxAnyOrder) {
        return seq(literal("{"), ws, anyOrder(ctx, members, {first: entriesFirst, rest: entriesRest}, hint), literal("}"));
    }

    // chain: first[i] = members from i on with none before; rest[i] = members from i on after one was written
    let first: Gbnf = entriesFirst;
    let rest: Gbnf = entriesRest;
    for (let i = members.length - 1; i >= 0; i--) {
        const {kv, required} = members[i]!;
        const withThis = seq(kv, rest);
        const nextFirst = required ? withThis : alt([withThis, first]);
        const withComma = seq(comma, kv, rest);
        const nextRest = required ? withComma : alt([withComma, rest]);
        first = nextFirst === null || nextFirst === "" ? nextFirst : builder.rule(`${hint}-first`, nextFirst);
        rest = nextRest === null || nextRest === "" ? nextRest : builder.rule(`${hint}-rest`, nextRest);
    }
    return seq(literal("{"), ws, first, literal("}"));
}

/** Objects with at most this many declared properties may write them in any order (2^n rules). */
const maxAnyOrder = 8;

/**
 * Declared properties in any order, each at most once, all required ones present: one rule per set of
 * properties already written (a bit mask), then the extra entries.
 */
function anyOrder(ctx: CompilerContext, members: {kv: Gbnf; required: boolean}[], entries: {first: Gbnf; rest: Gbnf}, hint: string): Gbnf {
    const {builder, separatorWs} = ctx;
    const comma = seq(literal(","), separatorWs);
    const requiredMask = members.reduce((mask, m, i) => (m.required ? mask | (1 << i) : mask), 0);
    const memo = new Map<number, Gbnf>();
    const state = (written: number): Gbnf => {
        if (memo.has(written)) return memo.get(written)!;
        const options: Gbnf[] = [];
        if ((written & requiredMask) === requiredMask) options.push(written === 0 ? entries.first : entries.rest);
        members.forEach((member, i) => {
            if ((written & (1 << i)) !== 0) return;
            options.push(seq(written === 0 ? "" : comma, member.kv, state(written | (1 << i))));
        });
        const body = alt(options);
        const result = body === null || body === "" ? body : builder.rule(`${hint}-props`, body);
        memo.set(written, result);
        return result;
    };
    return state(0);
}
