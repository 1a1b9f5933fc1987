import type {CompilerContext} from "./CompilerContext.js";
import {alt, type Gbnf} from "./gbnf.js";
import {allowedLiterals, allowedTypes, jsonTypes, type JsonType} from "./nodeTypes.js";
import {planObject, sourcesForKey} from "./objectGrammar.js";
import {quickCheck} from "./quickCheck.js";
import {isSchemaObject, pointerAppend, type SchemaSource} from "./SchemaDocument.js";
import type {ObjectSource, SchemaNode} from "./SchemaNode.js";

/** Past this many distributed disjunctions on one node, only the first workable branch of the next is used. */
const maxDistributed = 4;

/**
 * anyOf: the union of (node AND branch) over the branches. oneOf: the same, but each branch is first
 * separated from the others (keys that would make another branch match are forbidden; a branch that cannot be
 * told apart is left out) so that every output matches exactly one branch; when no branch can be separated,
 * the union is used and oneOf is left to validation.
 */
export function disjunctionGrammar(ctx: CompilerContext, node: SchemaNode, source: ObjectSource, keyword: "anyOf" | "oneOf", hint: string): Gbnf {
    const consumed = pointerAppend(source.path, keyword);
    const list = source.schema[keyword] as unknown[];
    const branches: SchemaSource[] = list.map((schema, i) => ({schema: schema as SchemaSource["schema"], path: pointerAppend(source.path, keyword, i)}));
    const narrow = node.consumed.size >= maxDistributed;
    const compileBranches = (nodes: SchemaNode[]): Gbnf => {
        const exprs: Gbnf[] = [];
        for (let i = 0; i < nodes.length; i++) {
            const expr = ctx.compile(nodes[i]!, `${hint}-${keyword}${i}`);
            exprs.push(expr);
            if (narrow && expr !== null) break;
        }
        return alt(exprs);
    };
    const nodes = branches.map((b) => node.with([b], consumed));
    if (keyword === "anyOf") return compileBranches(nodes);

    const separated: SchemaNode[] = [];
    for (let i = 0; i < nodes.length; i++) {
        let producer = nodes[i]!;
        let safe = true;
        for (let j = 0; j < branches.length && safe; j++) {
            if (j === i) continue;
            const how = separate(ctx, producer, node.alone([branches[j]!]), 0);
            if (how === false) safe = false;
            else if (!isDisjoint(how)) producer = producer.forbidding(how.forbid, how.require, how.excludeTypes);
        }
        if (safe) separated.push(producer);
    }
    const expr = separated.length > 0 ? compileBranches(separated) : null;
    if (expr !== null) return expr;
    ctx.ledger.validatedOnly(source.path, "oneOf", "the branches overlap: an output may match more than one");
    return compileBranches(nodes);
}

function explicitTypes(node: SchemaNode): Set<JsonType> {
    return node.has("type") ? allowedTypes(node) : new Set(jsonTypes);
}

type Separation = {forbid: string[]; require: string[]; excludeTypes: JsonType[]};
const disjoint: Separation = {forbid: [], require: [], excludeTypes: []};
const isDisjoint = (s: Separation | false) => s !== false && s.forbid.length === 0 && s.require.length === 0 && s.excludeTypes.length === 0;

function merge(total: Separation, more: Separation): void {
    total.forbid.push(...more.forbid);
    total.require.push(...more.require);
    total.excludeTypes.push(...more.excludeTypes);
}

/** The node's first anyOf/oneOf not yet distributed, as branches. */
function firstDisjunction(node: SchemaNode): {branches: SchemaSource[]; consumed: string} | undefined {
    const pending = node.pending.find((p) => p.keyword === "anyOf" || p.keyword === "oneOf");
    if (pending === undefined) return undefined;
    const list = pending.source.schema[pending.keyword] as unknown[];
    return {
        branches: list.map((schema, i) => ({schema: schema as SchemaSource["schema"], path: pointerAppend(pending.source.path, pending.keyword, i)})),
        consumed: pointerAppend(pending.source.path, pending.keyword)
    };
}

type Range = {lo: number; loExclusive: boolean; hi: number; hiExclusive: boolean};

/** The numeric range a node's bounds allow (both bound forms). */
function numericRange(node: SchemaNode): Range {
    const range: Range = {lo: -Infinity, loExclusive: false, hi: Infinity, hiExclusive: false};
    for (const {schema: s} of node.sources) {
        const lower = (value: number, exclusive: boolean) => {
            if (value > range.lo || (value === range.lo && exclusive)) Object.assign(range, {lo: value, loExclusive: exclusive});
        };
        const upper = (value: number, exclusive: boolean) => {
            if (value < range.hi || (value === range.hi && exclusive)) Object.assign(range, {hi: value, hiExclusive: exclusive});
        };
        if (typeof s.minimum === "number") lower(s.minimum, s.exclusiveMinimum === true);
        if (typeof s.exclusiveMinimum === "number") lower(s.exclusiveMinimum, true);
        if (typeof s.maximum === "number") upper(s.maximum, s.exclusiveMaximum === true);
        if (typeof s.exclusiveMaximum === "number") upper(s.exclusiveMaximum, true);
    }
    return range;
}

function countRange(node: SchemaNode, min: string, max: string): Range {
    const mins = node
        .all(min)
        .map((e) => e.value)
        .filter((v): v is number => typeof v === "number");
    const maxs = node
        .all(max)
        .map((e) => e.value)
        .filter((v): v is number => typeof v === "number");
    return {lo: Math.max(0, ...mins), loExclusive: false, hi: Math.min(Infinity, ...maxs), hiExclusive: false};
}

function rangesDisjoint(a: Range, b: Range): boolean {
    const below = (x: Range, y: Range) => x.hi < y.lo || (x.hi === y.lo && (x.hiExclusive || y.loExclusive));
    return below(a, b) || below(b, a);
}

/**
 * How to keep every output of `producer` from satisfying `validator`, type by type: keys to forbid or to require,
 * types to leave out; none when they are already disjoint; false when no way is found.
 */
function separate(ctx: CompilerContext, producer: SchemaNode, validator: SchemaNode, depth: number): Separation | false {
    if (validator.never || producer.never) return disjoint;
    if (depth > 4) return false;
    // a disjunctive validator: its every branch must be failed
    const validatorChoice = firstDisjunction(validator);
    if (validatorChoice !== undefined) {
        const total: Separation = {forbid: [], require: [], excludeTypes: []};
        let current = producer;
        for (const branch of validatorChoice.branches) {
            const how = separate(ctx, current, validator.with([branch], validatorChoice.consumed), depth + 1);
            if (how === false) return false;
            merge(total, how);
            current = current.forbidding(how.forbid, how.require, how.excludeTypes);
        }
        return total;
    }
    // a disjunctive producer: each of its branches separately; the types of branches that cannot be told apart are left out
    const producerChoice = firstDisjunction(producer);
    if (producerChoice !== undefined) {
        const total: Separation = {forbid: [], require: [], excludeTypes: []};
        const failed = new Set<JsonType>();
        const kept = new Set<JsonType>();
        for (const branch of producerChoice.branches) {
            const sub = producer.with([branch], producerChoice.consumed);
            const how = separate(ctx, sub, validator, depth + 1);
            const types = allowedTypes(sub);
            for (const t of how === false ? types : [...types].filter((t) => !how.excludeTypes.includes(t))) (how === false ? failed : kept).add(t);
            if (how !== false) merge(total, {...how, excludeTypes: []});
        }
        if ([...failed].some((t) => kept.has(t)) || kept.size === 0) return false;
        total.excludeTypes.push(...failed);
        return total;
    }
    const produced = allowedTypes(producer);
    for (const t of producer.excludedTypes) produced.delete(t as JsonType);
    const accepted = explicitTypes(validator);
    const shared = [...produced].filter((t) => accepted.has(t));
    if (shared.length === 0) return disjoint;
    const literals = allowedLiterals(producer);
    if (literals !== null) return literals.every((value) => !quickCheck(value, validator)) ? disjoint : false;

    const out: Separation = {forbid: [], require: [], excludeTypes: []};
    for (const type of shared) {
        if (type === "string" && rangesDisjoint(countRange(producer, "minLength", "maxLength"), countRange(validator, "minLength", "maxLength"))) continue;
        if ((type === "number" || type === "integer") && rangesDisjoint(numericRange(producer), numericRange(validator))) continue;
        if (type === "array" && rangesDisjoint(countRange(producer, "minItems", "maxItems"), countRange(validator, "minItems", "maxItems"))) continue;
        if (type === "object" && depth <= 2) {
            const keys = separateObjects(ctx, producer, validator, depth);
            if (keys !== false) {
                out.forbid.push(...keys.forbid);
                out.require.push(...keys.require);
                continue;
            }
        }
        out.excludeTypes.push(type);
    }
    // leaving out every type the producer has is no separation
    if ([...produced].every((t) => out.excludeTypes.includes(t))) return false;
    return out;
}

/** Objects: a key the validator requires but the producer never writes (or can forbid), or a discriminator. */
function separateObjects(ctx: CompilerContext, producer: SchemaNode, validator: SchemaNode, depth: number): {forbid: string[]; require: string[]} | false {
    const plan = planObject(ctx, producer);
    if (plan.never) return {forbid: [], require: []};
    const settled = producer.pending.length === 0;
    const freeKeys = plan.extras !== null || plan.patterns.length > 0;
    const planned = new Map(plan.properties.map((p) => [p.key, p]));
    const required = new Set<string>();
    for (const {value} of validator.all("required")) if (Array.isArray(value)) for (const k of value) if (typeof k === "string") required.add(k);
    if (settled && !freeKeys && [...required].some((k) => !planned.has(k))) return {forbid: [], require: []};
    for (const key of required) {
        const property = planned.get(key);
        if (property !== undefined && !property.required) return {forbid: [key], require: []};
    }
    // a property whose values differ (a discriminator): required in the producer if it is not yet
    for (const requiredOnly of [true, false]) {
        for (const property of plan.properties) {
            if (property.required !== requiredOnly) continue;
            const accepting = sourcesForKey(validator, property.key);
            if (accepting === "forbidden") return property.required ? {forbid: [], require: []} : {forbid: [], require: [property.key]};
            const declaredByValidator = validator.sources.some((s) => isSchemaObject(s.schema.properties) && property.key in s.schema.properties);
            if (!declaredByValidator || accepting.length === 0) continue;
            const inner = separate(ctx, producer.child(property.sources), validator.child(accepting), depth + 1);
            if (isDisjoint(inner)) return property.required ? {forbid: [], require: []} : {forbid: [], require: [property.key]};
        }
    }
    return false;
}
