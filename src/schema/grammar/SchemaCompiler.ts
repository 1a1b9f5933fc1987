import {arrayGrammar} from "./arrayGrammar.js";
import {CharSet} from "./CharSet.js";
import type {CompilerContext, ResolvedGrammarOptions} from "./CompilerContext.js";
import {disjunctionGrammar} from "./disjunctionGrammar.js";
import {alt, literal, seq, type Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";
import {jsonCharExpression} from "./jsonChars.js";
import {jsonTypesOf} from "./jsonValues.js";
import type {KeywordLedger} from "./KeywordLedger.js";
import {allowedLiterals, allowedTypes, jsonTypes, type JsonType} from "./nodeTypes.js";
import {numberGrammar, type NumberBound} from "./numberGrammar.js";
import {objectGrammar} from "./objectGrammar.js";
import {parseRegex} from "./parseRegex.js";
import {quickCheck, quickCheckedKeywords} from "./quickCheck.js";
import {isSchemaObject, pointerAppend, type SchemaSource} from "./SchemaDocument.js";
import type {SchemaNode} from "./SchemaNode.js";
import {stringGrammar} from "./stringGrammar.js";

/** Keywords that only matter for a given type (an enum node checks its values against the rest). */
const typeSpecific = new Set([
    "format",
    "items",
    "prefixItems",
    "additionalItems",
    "contains",
    "uniqueItems",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedItems",
    "unevaluatedProperties",
    "minContains",
    "maxContains",
    "not"
]);

/** Raised when compiling reaches a state that should be impossible (a bug). */
class CompilerInvariantError extends Error {}

/** Compiles schema nodes into grammar rules (memoized per node), dispatching on type. */
export class SchemaCompiler implements CompilerContext {
    public readonly builder: GrammarBuilder;
    public readonly ledger: KeywordLedger;
    public readonly options: ResolvedGrammarOptions;
    public readonly ws: string;
    public readonly separatorWs: string;
    private readonly _memo = new Map<string, Gbnf>();
    private readonly _inProgress = new Set<string>();
    private _anyValue: string | undefined;

    public constructor(builder: GrammarBuilder, ledger: KeywordLedger, options: ResolvedGrammarOptions) {
        this.builder = builder;
        this.ledger = ledger;
        this.options = options;
        const flexible = options.spacing === "flexible" && options.maxWhitespace > 0;
        this.ws = flexible ? builder.named("ws", builder.repeat("[ \\t\\n]", 0, options.maxWhitespace) ?? "") : "";
        this.separatorWs = options.spacing === "canonical" ? literal(" ") : this.ws;
    }

    public compile(node: SchemaNode, hint: string): Gbnf {
        if (node.never || node.level > this.options.maxRecursionDepth) return null;
        const key = node.key;
        if (this._memo.has(key)) return this._memo.get(key)!;
        if (this._inProgress.has(key)) throw new CompilerInvariantError(`recursion not unrolled at ${hint}`);
        this._inProgress.add(key);
        this.builder.check();
        const expr = this.compileNode(node, hint);
        const result = expr === null || expr === "" ? expr : this.builder.rule(hint, expr);
        this._inProgress.delete(key);
        this._memo.set(key, result);
        return result;
    }

    public anyValue(): string {
        if (this._anyValue !== undefined) return this._anyValue;
        const {builder, ws, separatorWs} = this;
        const max = this.options.maxItems;
        const string = builder.named(
            "free-string",
            seq(literal('"'), builder.repeat(jsonCharExpression(CharSet.all, builder), 0, this.options.maxStringLength, "chars"), literal('"'))!
        );
        const number = numberGrammar(builder, {integer: false, intDigits: this.options.intDigits, fracDigits: this.options.fracDigits}).expr!;
        const scalar = builder.named("free-scalar", `${string} | ${number} | "true" | "false" | "null"`);
        let value = builder.named("free-value-0", `${scalar} | "{" ${ws} "}" | "[" ${ws} "]"`);
        // `{` or `[`, at most max entries separated by commas, `}` or `]`
        const container = (open: string, entry: string, close: string): string =>
            seq(literal(open), ws, builder.repeat(seq(entry, builder.repeat(seq(literal(","), separatorWs, entry), 0, max - 1)), 0, 1), literal(close))!;
        for (let depth = 1; depth <= this.options.maxRecursionDepth; depth++) {
            const object = container("{", seq(string, ws, literal(":"), separatorWs, value, ws)!, "}");
            const array = container("[", seq(value, ws)!, "]");
            value = builder.named(`free-value-${depth}`, `${scalar} | ${object} | ${array}`);
        }
        this._anyValue = value;
        return value;
    }

    private compileNode(node: SchemaNode, hint: string): Gbnf {
        // distribute anyOf/oneOf, add dependent schemas as conjuncts
        const pending = node.pending[0];
        if (pending !== undefined) {
            const {source, keyword} = pending;
            if (keyword === "anyOf" || keyword === "oneOf") return disjunctionGrammar(this, node, source, keyword, hint);
            const dependents = Object.entries(source.schema[keyword] as Record<string, unknown>).filter(([, v]) => isSchemaObject(v));
            const consumed = pointerAppend(source.path, keyword);
            const parts: SchemaSource[] = dependents.map(([trigger, schema]) => ({
                schema: schema as Record<string, unknown>,
                path: pointerAppend(source.path, keyword, trigger)
            }));
            const merged = this.compile(node.with(parts, consumed), hint);
            if (merged !== null) return merged;
            // the dependent schemas conflict with the rest: never write their trigger properties
            return this.compile(
                node.with(
                    [],
                    consumed,
                    dependents.map(([trigger]) => trigger)
                ),
                hint
            );
        }

        // not: a few shapes are encodable (type, required, enum/const); the rest is left to validation
        const excludedTypes = new Set<JsonType>();
        const excludedValues: unknown[] = [];
        const forbid: string[] = [];
        const excludedChars: CharSet[] = [];
        for (const {value, path} of node.all("not")) {
            const outcome = this.readNot(node, value, path, {types: excludedTypes, values: excludedValues, forbid, chars: excludedChars});
            if (outcome === "never") return null;
        }
        const newlyForbidden = forbid.filter((k) => !node.forbiddenKeys.has(k));
        if (newlyForbidden.length > 0) return this.compile(node.forbidding(newlyForbidden), hint);

        const types = allowedTypes(node);
        for (const t of [...excludedTypes, ...node.excludedTypes]) types.delete(t as JsonType);
        const literals = allowedLiterals(node);
        if (literals !== null) return this.literalGrammar(node, literals, types, excludedValues);
        if (types.size === jsonTypes.length && this.constrainsNothing(node)) return this.anyValue();

        const options: Gbnf[] = [];
        const numeric = types.has("number") ? "number" : types.has("integer") ? "integer" : null;
        for (const type of types) {
            if (type === "number" || type === "integer") {
                if (type === numeric) options.push(this.numberNode(node, type === "integer", hint));
                continue;
            }
            if (type === "null") options.push(literal("null"));
            else if (type === "boolean") options.push(alt([literal("true"), literal("false")]));
            else if (type === "string") {
                const values = excludedValues.filter((v): v is string => typeof v === "string");
                const chars = excludedChars.reduce((a, b) => a.union(b), CharSet.empty);
                const string = stringGrammar(this, node, hint, {values, chars});
                if (!string.applied) this.notValidatedOnly(node, "this exclusion cannot be combined with the string's other keywords");
                options.push(string.expr);
            } else if (type === "array") options.push(arrayGrammar(this, node, hint));
            else options.push(objectGrammar(this, node, hint));
        }
        if (excludedValues.some((v) => typeof v !== "string")) this.notValidatedOnly(node, "excluding numbers, arrays or objects is not encoded");
        return alt(options);
    }

    /** Whether the node has no keyword that narrows a value (so any JSON value is fine). */
    private constrainsNothing(node: SchemaNode): boolean {
        const narrowing = [
            "not",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "contains",
            "uniqueItems",
            "properties",
            "required",
            "additionalProperties",
            "patternProperties",
            "minProperties",
            "maxProperties",
            "propertyNames",
            "dependencies",
            "dependentRequired",
            "unevaluatedProperties",
            "unevaluatedItems",
            "additionalItems"
        ];
        return !narrowing.some((k) => node.has(k));
    }

    private notValidatedOnly(node: SchemaNode, reason: string): void {
        for (const {path} of node.all("not")) this.ledger.validatedOnly(path, "not", reason);
    }

    /** Reads one `not` subschema into exclusions; "never" when it excludes everything (`not: {}`). */
    private readNot(
        node: SchemaNode,
        value: unknown,
        path: string,
        out: {types: Set<JsonType>; values: unknown[]; forbid: string[]; chars: CharSet[]}
    ): "ok" | "never" {
        const {types, values, forbid} = out;
        if (value === true || (isSchemaObject(value) && Object.keys(value).filter((k) => !["title", "description", "$comment"].includes(k)).length === 0))
            return "never";
        if (!isSchemaObject(value)) return "ok";
        const keys = Object.keys(value).filter((k) => !["title", "description", "$comment"].includes(k));
        if (keys.length === 1 && keys[0] === "type") {
            const listed = Array.isArray(value.type) ? value.type : [value.type];
            for (const t of listed) {
                if (!jsonTypes.includes(t as JsonType)) continue;
                types.add(t as JsonType);
                if (t === "number") types.add("integer");
            }
            if (listed.includes("integer") && !listed.includes("number") && allowedTypes(node).has("number")) {
                // "not an integer" leaves non-integral numbers: not encoded
                this.ledger.validatedOnly(path, "not", "non-integer numbers are not encoded");
            }
            return "ok";
        }
        if (keys.length === 1 && keys[0] === "required" && Array.isArray(value.required)) {
            const required = new Set<string>();
            for (const {value: r} of node.all("required")) if (Array.isArray(r)) for (const k of r) if (typeof k === "string") required.add(k);
            const candidates = value.required.filter((k): k is string => typeof k === "string");
            const choice = [...candidates].reverse().find((k) => !required.has(k));
            if (choice === undefined)
                return candidates.length === 0 ? "never" : allowedTypes(node).has("object") && allowedTypes(node).size === 1 ? "never" : "ok";
            forbid.push(choice);
            return "ok";
        }
        if (keys.length === 1 && keys[0] === "pattern" && typeof value.pattern === "string") {
            // not containing any character of a class: every character is outside it
            const chars = singleClassPattern(value.pattern);
            if (chars !== null) {
                out.chars.push(chars);
                return "ok";
            }
        }
        if (keys.length === 1 && (keys[0] === "enum" || keys[0] === "const")) {
            values.push(...(keys[0] === "enum" ? (Array.isArray(value.enum) ? value.enum : []) : [value.const]));
            return "ok";
        }
        this.ledger.validatedOnly(path, "not", "this negated schema is not encoded");
        return "ok";
    }

    /** enum/const: the allowed values (checked against the node's other keywords) as JSON literals. */
    private literalGrammar(node: SchemaNode, literals: unknown[], types: Set<JsonType>, excluded: unknown[]): Gbnf {
        const excludedKeys = new Set(excluded.map((v) => JSON.stringify(v)));
        const kept = literals.filter(
            (v) => jsonTypesOf(v).some((t) => types.has(t as JsonType)) && quickCheck(v, node) && !excludedKeys.has(JSON.stringify(v))
        );
        for (const source of node.sources) {
            for (const keyword of Object.keys(source.schema)) {
                if (typeSpecific.has(keyword) && !quickCheckedKeywords.has(keyword) && keyword !== "not") {
                    this.ledger.validatedOnly(source.path, keyword, "with enum/const, this keyword is checked on the values by validation only");
                }
            }
        }
        return alt(kept.map((v) => literal(JSON.stringify(v))));
    }

    private numberNode(node: SchemaNode, integer: boolean, hint: string): Gbnf {
        let minimum: NumberBound | undefined;
        let maximum: NumberBound | undefined;
        const tighter = (current: NumberBound | undefined, next: NumberBound, lower: boolean): NumberBound => {
            if (current === undefined) return next;
            if (next.value === current.value) return {value: next.value, exclusive: next.exclusive || current.exclusive};
            return (lower ? next.value > current.value : next.value < current.value) ? next : current;
        };
        for (const {schema: s} of node.sources) {
            if (typeof s.minimum === "number") minimum = tighter(minimum, {value: s.minimum, exclusive: s.exclusiveMinimum === true}, true);
            if (typeof s.maximum === "number") maximum = tighter(maximum, {value: s.maximum, exclusive: s.exclusiveMaximum === true}, false);
            if (typeof s.exclusiveMinimum === "number") minimum = tighter(minimum, {value: s.exclusiveMinimum, exclusive: true}, true);
            if (typeof s.exclusiveMaximum === "number") maximum = tighter(maximum, {value: s.exclusiveMaximum, exclusive: true}, false);
            if (s.format === "int32") {
                integer = true;
                minimum = tighter(minimum, {value: -(2 ** 31), exclusive: false}, true);
                maximum = tighter(maximum, {value: 2 ** 31 - 1, exclusive: false}, false);
            }
            if (s.format === "int64") integer = true;
        }
        let multipleOf: number | undefined;
        let fracDigits = this.options.fracDigits;
        for (const {value, path} of node.all("multipleOf")) {
            if (typeof value !== "number" || value <= 0) continue;
            if (Number.isInteger(value)) {
                multipleOf = multipleOf === undefined ? value : lcm(multipleOf, value);
                if (!Number.isSafeInteger(multipleOf)) {
                    multipleOf = undefined;
                    this.ledger.validatedOnly(path, "multipleOf", "the combined multipleOf is too large to encode");
                }
                continue;
            }
            const decimals = -Math.log10(value);
            if (Number.isInteger(decimals) && !integer) fracDigits = Math.min(fracDigits, decimals);
            if (!integer)
                this.ledger.validatedOnly(
                    path,
                    "multipleOf",
                    "a fractional multipleOf is checked with floating point by ajv; the grammar only limits the fraction digits"
                );
            else this.ledger.validatedOnly(path, "multipleOf", "a fractional multipleOf on integers is not encoded");
        }
        if (multipleOf === 1) {
            integer = true;
            multipleOf = undefined;
        }
        const result = numberGrammar(this.builder, {
            integer,
            ...(minimum !== undefined ? {minimum} : {}),
            ...(maximum !== undefined ? {maximum} : {}),
            ...(multipleOf !== undefined ? {multipleOf} : {}),
            intDigits: this.options.intDigits,
            fracDigits
        });
        if (!result.multipleOfEnforced)
            for (const {path} of node.all("multipleOf")) this.ledger.validatedOnly(path, "multipleOf", "too many remainders to encode for this range");
        return result.expr === null ? null : this.builder.rule(`${hint}-${integer ? "int" : "num"}`, result.expr);
    }
}

/** The characters of a pattern that is one unanchored character or class (`[^a-z]`), else null. */
function singleClassPattern(pattern: string): CharSet | null {
    try {
        let node = parseRegex(pattern);
        while (node.kind === "seq" && node.items.length === 1) node = node.items[0]!;
        return node.kind === "chars" ? node.set : null;
    } catch {
        return null;
    }
}

function lcm(a: number, b: number): number {
    const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
    return (a / gcd(a, b)) * b;
}
