import {AirlabelError} from "../../AirlabelError.js";
import {GrammarBuilder, GrammarLimitError} from "./GrammarBuilder.js";
import {KeywordLedger} from "./KeywordLedger.js";
import {SchemaCompiler} from "./SchemaCompiler.js";
import {SchemaDocument} from "./SchemaDocument.js";
import {SchemaNode, UnresolvedRefError} from "./SchemaNode.js";

/** Raised when a schema cannot be turned into a grammar (nothing satisfies it, a $ref does not resolve, a limit is hit). */
export class SchemaGrammarError extends AirlabelError {}

export type CompileSchemaGrammarOptions = {
    /**
     * How many times a recursive `$ref` may re-enter a subschema already on the path (a tree schema nests this
     * many levels below its root), and how deep free-form values (`{}`, untyped containers) nest.
     * Defaults to 3.
     */
    maxRecursionDepth?: number;
    /**
     * "canonical": every answer is spaced as `{"a": 1, "b": [1, 2]}` (one space after each ":" and ",", none
     * elsewhere), so the keys, punctuation and spaces between values are forced text a run appends without sampling
     * (jump-forward). "flexible": up to `maxWhitespace` whitespace characters between any two JSON tokens, the model
     * choosing. Defaults to "canonical".
     */
    spacing?: "canonical" | "flexible";
    /** With "flexible" spacing, most whitespace characters (space, tab, newline) allowed between two JSON tokens; 0 writes compact JSON. Defaults to 1. */
    maxWhitespace?: number;
    /**
     * Most characters of a string whose schema sets no maxLength (also bounds unbounded regex quantifiers and
     * free object keys). A grammar-only limit that keeps a model that never closes its strings from running to
     * maxTokens. Defaults to Infinity (no limit beyond the schema's).
     */
    maxStringLength?: number;
    /** Most items of an array whose schema sets no maxItems, and most entries of a free-form object. Defaults to Infinity. */
    maxItems?: number;
    /**
     * "schema": declared properties are written in the order the schema declares them (optional ones may be left
     * out). "any": in any order, each once (objects with at most 8 declared properties; larger ones keep schema
     * order). Defaults to "schema".
     */
    propertyOrder?: "schema" | "any";
    /** Compile time budget in milliseconds; past it compiling fails with a SchemaGrammarError. Defaults to 3000. */
    timeoutMs?: number;
    /** Largest grammar in bytes of GBNF; past it compiling fails with a SchemaGrammarError. Defaults to 4000000. */
    maxGrammarBytes?: number;
    /** How error messages name the schema (e.g. its file name). Defaults to "schema". */
    origin?: string;
};

/** A JSON Schema compiled to a llama.cpp GBNF grammar. */
export type SchemaGrammar = {
    /**
     * The grammar; its root rule is "root". It matches the JSON value only (no leading or trailing whitespace),
     * so once the value is complete the only token llama.cpp allows is end-of-generation.
     */
    gbnf: string;
    /** JSON pointers of the schema's keywords that the grammar guarantees, e.g. "/properties/confidence/maximum". */
    enforced: string[];
    /** JSON pointers of keywords the grammar does not (fully) encode: only validation (ajv) checks them. */
    validatedOnly: string[];
    /** JSON pointers of keywords neither the grammar nor ajv applies (unknown keywords, unknown formats). */
    ignored: string[];
    /** For each validatedOnly pointer, why it is not encoded. */
    reasons: Record<string, string>;
    /** Number of rules in the grammar. */
    rules: number;
    /** Size of the grammar text in bytes. */
    bytes: number;
};

/**
 * Compiles a JSON Schema (drafts 04 to 2020-12) into a GBNF grammar for llama.cpp that enforces, while the model
 * decodes, what a grammar can: types, enum/const, properties (schema order, optional ones may be left out),
 * required, additionalProperties, patternProperties, items/prefixItems, min/maxItems, min/maxLength, numeric
 * ranges (exact decimals), integer multipleOf, pattern, common formats, anyOf/oneOf/allOf, $ref (recursion
 * bounded). Keywords it cannot encode are listed in `validatedOnly`. Throws SchemaGrammarError.
 */
export function compileSchemaGrammar(schema: Record<string, unknown> | boolean, options: CompileSchemaGrammarOptions = {}): SchemaGrammar {
    const origin = options.origin ?? "schema";
    const maxRecursionDepth = options.maxRecursionDepth ?? 3;
    const timeoutMs = options.timeoutMs ?? 3000;
    const builder = new GrammarBuilder({deadline: Date.now() + timeoutMs, maxBytes: options.maxGrammarBytes ?? 4_000_000});
    const resolved = {
        maxRecursionDepth,
        maxWhitespace: options.maxWhitespace ?? 1,
        spacing: options.spacing ?? "canonical",
        maxStringLength: options.maxStringLength ?? Infinity,
        maxItems: options.maxItems ?? Infinity,
        propertyOrder: options.propertyOrder ?? "schema",
        intDigits: 15,
        fracDigits: 10
    };
    let root: string | null;
    let ledger: KeywordLedger;
    try {
        const document = new SchemaDocument(schema);
        ledger = new KeywordLedger(document.ignoredKeywords);
        const compiler = new SchemaCompiler(builder, ledger, resolved);
        const node = SchemaNode.root({document, onSource: (source) => ledger.visit(source)});
        root = compiler.compile(node, "value");
    } catch (err) {
        if (err instanceof GrammarLimitError) {
            throw new SchemaGrammarError(
                `${origin}: cannot compile the schema into a grammar: ${err.message} (limit: ${timeoutMs} ms, ${options.maxGrammarBytes ?? 4_000_000} bytes); simplify the schema (fewer nested anyOf/oneOf, smaller maxLength/maxItems/enum) or raise the limit`,
                {cause: err}
            );
        }
        if (err instanceof UnresolvedRefError)
            throw new SchemaGrammarError(`${origin}: ${err.message}; define the target in the schema ($defs/definitions)`, {cause: err});
        if (err instanceof RangeError && /call stack/u.test(err.message))
            throw new SchemaGrammarError(`${origin}: the schema is nested too deeply to compile; flatten it`, {cause: err});
        throw err;
    }
    if (root === null || root === "") {
        throw new SchemaGrammarError(
            `${origin}: no JSON value satisfies the schema as the grammar reads it (a false schema, contradictory keywords, or a required recursion deeper than maxRecursionDepth ${maxRecursionDepth}); fix the schema`
        );
    }
    const {text, rules} = builder.render(root);
    return {gbnf: text, ...ledger.report(), rules, bytes: Buffer.byteLength(text)};
}
