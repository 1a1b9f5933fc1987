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
            else if (how.forbid.length > 0 || how.require.length > 0) producer = producer.forbidding(how.forbid, how.require);
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

type Separation = {forbid: string[], require: string[]};
const disjoint: Separation = {forbid: [], require: []};
const isDisjoint = (s: Separation | false) => s !== false && s.forbid.length === 0 && s.require.length === 0;

/**
 * How to keep every output of `producer` from satisfying `validator`: keys to forbid or to require (none when
 * they are already disjoint), or false when no way is found.
 */
function separate(ctx: CompilerContext, producer: SchemaNode, validator: SchemaNode, depth: number): Separation | false {
    if (validator.never || producer.never) return disjoint;
    const produced = allowedTypes(producer);
    const accepted = explicitTypes(validator);
    const shared = [...produced].filter((t) => accepted.has(t));
    if (shared.length === 0) return disjoint;
    const literals = allowedLiterals(producer);
    if (literals !== null && literals.every((value) => !quickCheck(value, validator))) return disjoint;
    const validatorLiterals = allowedLiterals(validator);
    if (validatorLiterals !== null && literals === null && !shared.includes("object") && !shared.includes("array")) {
        // a free producer can write any of the validator's values
        return false;
    }
    if (shared.length !== 1 || shared[0] !== "object" || literals !== null || depth > 2) return false;

    const plan = planObject(ctx, producer);
    if (plan.never) return disjoint;
    const settled = producer.pending.length === 0;
    const freeKeys = plan.extras !== null || plan.patterns.length > 0;
    const planned = new Map(plan.properties.map((p) => [p.key, p]));
    const required = new Set<string>();
    for (const {value} of validator.all("required")) if (Array.isArray(value)) value.forEach((k) => typeof k === "string" && required.add(k));
    if (settled && !freeKeys && [...required].some((k) => !planned.has(k))) return disjoint;
    for (const key of required) {
        const property = planned.get(key);
        if (property !== undefined && !property.required) return {forbid: [key], require: []};
    }
    // a property whose values differ (a discriminator): required in the producer if it is not yet
    for (const requiredOnly of [true, false]) {
        for (const property of plan.properties) {
            if (property.required !== requiredOnly) continue;
            const accepting = sourcesForKey(validator, property.key);
            if (accepting === "forbidden") return property.required ? disjoint : {forbid: [], require: [property.key]};
            const declaredByValidator = validator.sources.some((s) => isSchemaObject(s.schema.properties) && property.key in s.schema.properties);
            if (!declaredByValidator || accepting.length === 0) continue;
            const inner = separate(ctx, producer.child(property.sources), validator.child(accepting), depth + 1);
            if (isDisjoint(inner)) return property.required ? disjoint : {forbid: [], require: [property.key]};
        }
    }
    return false;
}
