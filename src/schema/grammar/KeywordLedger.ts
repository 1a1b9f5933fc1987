import {isSchemaObject, pointerAppend, type SchemaSource} from "./SchemaDocument.js";

/** Keywords that only annotate or organize a schema: they constrain nothing, so they are in no list. */
const annotations = new Set([
    "$schema",
    "$id",
    "id",
    "$anchor",
    "$dynamicAnchor",
    "$recursiveAnchor",
    "$comment",
    "$defs",
    "definitions",
    "$vocabulary",
    "title",
    "description",
    "default",
    "examples",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "then",
    "else"
]);

/** Validation keywords ajv applies. The compiler handles each; those it cannot encode it reports. */
const validationKeywords = new Set([
    "type",
    "enum",
    "const",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "items",
    "prefixItems",
    "additionalItems",
    "minItems",
    "maxItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "unevaluatedItems",
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
]);

/** What became of the schema's keywords; each list holds JSON pointers to keywords (e.g. "/properties/age/minimum"). */
export type KeywordReport = {
    enforced: string[];
    validatedOnly: string[];
    ignored: string[];
    reasons: Record<string, string>;
};

/**
 * Records, for each keyword of the user's schema that the grammar met, whether the grammar guarantees it.
 * A keyword is enforced unless some use of it could not be encoded; then it is validated only (by ajv after
 * generation), with the reason.
 */
export class KeywordLedger {
    private readonly _seen = new Set<string>();
    private readonly _validatedOnly = new Map<string, string>();
    private readonly _ignored = new Set<string>();
    private readonly _visited = new Set<string>();
    private readonly _dialectIgnored: ReadonlySet<string>;

    /** `dialectIgnored`: keywords ajv ignores in the schema's dialect (e.g. prefixItems before 2020-12). */
    public constructor(dialectIgnored: ReadonlySet<string> = new Set()) {
        this._dialectIgnored = dialectIgnored;
    }

    /** Registers the keywords of a subschema the grammar applies. */
    public visit(source: SchemaSource): void {
        if (this._visited.has(source.path) || !isSchemaObject(source.schema)) return;
        this._visited.add(source.path);
        for (const [keyword, value] of Object.entries(source.schema)) {
            if (annotations.has(keyword)) continue;
            const pointer = pointerAppend(source.path, keyword);
            if (!validationKeywords.has(keyword) || this._dialectIgnored.has(keyword)) {
                this._ignored.add(pointer);
                continue;
            }
            if (keyword === "uniqueItems" && value === false) continue;
            this._seen.add(pointer);
            if (keyword === "if") {
                this.validatedOnly(source.path, "if", "if/then/else is checked by validation only");
                for (const branch of ["then", "else"]) {
                    if (branch in source.schema) this._seen.add(pointerAppend(source.path, branch));
                    if (branch in source.schema) this.validatedOnly(source.path, branch, "if/then/else is checked by validation only");
                }
            }
        }
    }

    /** The keyword at `${path}/${keyword}` is not (fully) encoded in the grammar. */
    public validatedOnly(path: string, keyword: string, reason: string): void {
        const pointer = pointerAppend(path, keyword);
        this._seen.add(pointer);
        if (!this._validatedOnly.has(pointer)) this._validatedOnly.set(pointer, reason);
    }

    /** An unknown format or similar: ajv ignores it too. */
    public ignored(path: string, keyword: string): void {
        const pointer = pointerAppend(path, keyword);
        this._seen.delete(pointer);
        this._ignored.add(pointer);
    }

    public report(): KeywordReport {
        const enforced = [...this._seen].filter((p) => !this._validatedOnly.has(p) && !this._ignored.has(p)).sort();
        const validatedOnly = [...this._validatedOnly.keys()].sort();
        return {enforced, validatedOnly, ignored: [...this._ignored].sort(), reasons: Object.fromEntries([...this._validatedOnly].sort())};
    }
}
