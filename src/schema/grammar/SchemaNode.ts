import {isSchemaObject, pointerAppend, type SchemaDocument, type SchemaSource} from "./SchemaDocument.js";

export type ObjectSource = {schema: Record<string, unknown>; path: string};

/** Raised for a `$ref` the document cannot resolve. */
export class UnresolvedRefError extends Error {
    public readonly path: string;

    public constructor(path: string, ref: string) {
        super(`$ref "${ref}" at ${path || "/"} does not resolve within the schema`);
        this.path = path;
    }
}

export type NodeContext = {
    document: SchemaDocument;
    /** Called for every subschema that becomes part of a node (keyword bookkeeping). */
    onSource(source: ObjectSource): void;
};

/**
 * A value position in the schema: the conjunction of every subschema that applies there (the schema itself,
 * what its `$ref`s point to, its `allOf` branches, chosen `anyOf`/`oneOf` branches). Reading a keyword reads
 * all of them, which is how allOf is merged.
 */
export class SchemaNode {
    public readonly sources: readonly ObjectSource[];
    /** A `false` schema is among the conjuncts: nothing is valid. */
    public readonly never: boolean;
    /** How many times recursion re-entered a subschema already being compiled on the way here. */
    public readonly level: number;
    /** Subschema paths of the nodes above this one (recursion detection). */
    public readonly ancestors: ReadonlySet<string>;
    /** Object keys this node must not produce (from `not: {required}` and oneOf separation). */
    public readonly forbiddenKeys: ReadonlySet<string>;
    /** Object keys this node must produce (oneOf separation by a discriminating property). */
    public readonly requiredKeys: ReadonlySet<string>;
    /** JSON types this node must not produce (oneOf separation). */
    public readonly excludedTypes: ReadonlySet<string>;
    /** Disjunctions (`path/anyOf`, `path/oneOf`) already distributed into this node. */
    public readonly consumed: ReadonlySet<string>;
    private readonly _context: NodeContext;

    private constructor(
        context: NodeContext,
        init: {
            sources: ObjectSource[];
            never: boolean;
            level: number;
            ancestors: ReadonlySet<string>;
            forbiddenKeys: ReadonlySet<string>;
            requiredKeys: ReadonlySet<string>;
            excludedTypes: ReadonlySet<string>;
            consumed: ReadonlySet<string>;
        }
    ) {
        this._context = context;
        this.sources = init.sources;
        this.never = init.never;
        this.level = init.level;
        this.ancestors = init.ancestors;
        this.forbiddenKeys = init.forbiddenKeys;
        this.requiredKeys = init.requiredKeys;
        this.excludedTypes = init.excludedTypes;
        this.consumed = init.consumed;
    }

    /** The root node of a document. */
    public static root(context: NodeContext): SchemaNode {
        return SchemaNode.build(context, [{schema: context.document.root, path: ""}], {
            level: 0,
            ancestors: new Set(),
            forbiddenKeys: new Set(),
            requiredKeys: new Set(),
            excludedTypes: new Set(),
            consumed: new Set(),
            existing: []
        });
    }

    /** The node for a child position (a property value, an array item) given the subschemas that apply there. */
    public child(parts: readonly SchemaSource[]): SchemaNode {
        const ancestors = new Set(this.ancestors);
        for (const source of this.sources) ancestors.add(source.path);
        return SchemaNode.build(this._context, parts, {
            level: this.level,
            ancestors,
            forbiddenKeys: new Set(),
            requiredKeys: new Set(),
            excludedTypes: new Set(),
            consumed: new Set(),
            existing: []
        });
    }

    /** This node with more conjuncts (an anyOf/oneOf branch), the disjunction marked as distributed. */
    public with(parts: readonly SchemaSource[], consumed: string, forbiddenKeys: Iterable<string> = []): SchemaNode {
        return SchemaNode.build(this._context, parts, {
            level: this.level,
            ancestors: this.ancestors,
            forbiddenKeys: new Set([...this.forbiddenKeys, ...forbiddenKeys]),
            requiredKeys: this.requiredKeys,
            excludedTypes: this.excludedTypes,
            consumed: new Set([...this.consumed, consumed]),
            existing: this.sources,
            never: this.never
        });
    }

    /** A node at the same position made of `parts` only (a oneOf branch on its own, for separation checks). */
    public alone(parts: readonly SchemaSource[]): SchemaNode {
        return SchemaNode.build(this._context, parts, {
            level: this.level,
            ancestors: this.ancestors,
            forbiddenKeys: new Set(),
            requiredKeys: new Set(),
            excludedTypes: new Set(),
            consumed: new Set(),
            existing: []
        });
    }

    /** Disjunctions and dependent schemas not yet distributed into this node. */
    public get pending(): {source: ObjectSource; keyword: "anyOf" | "oneOf" | "dependentSchemas" | "dependencies"}[] {
        const out: {source: ObjectSource; keyword: "anyOf" | "oneOf" | "dependentSchemas" | "dependencies"}[] = [];
        for (const source of this.sources) {
            for (const keyword of ["anyOf", "oneOf"] as const) {
                if (Array.isArray(source.schema[keyword]) && !this.consumed.has(pointerAppend(source.path, keyword))) out.push({source, keyword});
            }
            for (const keyword of ["dependentSchemas", "dependencies"] as const) {
                const value = source.schema[keyword];
                if (isSchemaObject(value) && Object.values(value).some(isSchemaObject) && !this.consumed.has(pointerAppend(source.path, keyword)))
                    out.push({source, keyword});
            }
        }
        return out;
    }

    /** This node with more forbidden and required object keys, and more excluded types. */
    public forbidding(keys: Iterable<string>, required: Iterable<string> = [], types: Iterable<string> = []): SchemaNode {
        return new SchemaNode(this._context, {
            sources: [...this.sources],
            never: this.never,
            level: this.level,
            ancestors: this.ancestors,
            forbiddenKeys: new Set([...this.forbiddenKeys, ...keys]),
            requiredKeys: new Set([...this.requiredKeys, ...required]),
            excludedTypes: new Set([...this.excludedTypes, ...types]),
            consumed: this.consumed
        });
    }

    /** Identity for memoization: the same conjuncts at the same recursion level compile to the same rule. */
    public get key(): string {
        return JSON.stringify([
            this.sources.map((s) => s.path).sort(),
            [...this.forbiddenKeys].sort(),
            [...this.requiredKeys].sort(),
            [...this.excludedTypes].sort(),
            [...this.consumed].sort(),
            this.level,
            this.never
        ]);
    }

    /** Every value of `keyword` among the conjuncts, with the path of the subschema holding it. */
    public all(keyword: string): {value: unknown; path: string}[] {
        const out: {value: unknown; path: string}[] = [];
        for (const source of this.sources) {
            if (keyword in source.schema) out.push({value: source.schema[keyword], path: source.path});
        }
        return out;
    }

    /** The numeric values of `keyword` among the conjuncts (other values skipped), with their paths. */
    public numbers(keyword: string): {value: number; path: string}[] {
        return this.all(keyword).filter((e): e is {value: number; path: string} => typeof e.value === "number");
    }

    public has(keyword: string): boolean {
        return this.sources.some((s) => keyword in s.schema);
    }

    private static build(
        context: NodeContext,
        parts: readonly SchemaSource[],
        init: {
            level: number;
            ancestors: ReadonlySet<string>;
            forbiddenKeys: ReadonlySet<string>;
            requiredKeys: ReadonlySet<string>;
            excludedTypes: ReadonlySet<string>;
            consumed: ReadonlySet<string>;
            existing: readonly ObjectSource[];
            never?: boolean;
        }
    ): SchemaNode {
        const sources: ObjectSource[] = [...init.existing];
        const seen = new Set(sources.map((s) => s.path));
        let never = init.never ?? false;
        let recursive = false;
        const queue = [...parts];
        while (queue.length > 0) {
            const {schema, path} = queue.shift()!;
            if (schema === false) never = true;
            if (!isSchemaObject(schema) || seen.has(path)) continue;
            seen.add(path);
            context.onSource({schema, path});
            const ignored = Object.keys(schema).filter((k) => context.document.ignoredKeywords.has(k));
            const source = {schema: ignored.length === 0 ? schema : Object.fromEntries(Object.entries(schema).filter(([k]) => !ignored.includes(k))), path};
            sources.push(source);
            for (const refKeyword of ["$ref", "$dynamicRef", "$recursiveRef"]) {
                const ref = source.schema[refKeyword];
                if (typeof ref !== "string") continue;
                const target = context.document.resolve(ref, path);
                if (target === null) throw new UnresolvedRefError(path, ref);
                if (init.ancestors.has(target.path)) recursive = true;
                queue.push(target);
            }
            const allOf = schema.allOf;
            if (Array.isArray(allOf))
                for (const [i, branch] of allOf.entries()) queue.push({schema: branch as SchemaSource["schema"], path: pointerAppend(path, "allOf", i)});
        }
        return new SchemaNode(context, {
            sources,
            never,
            level: init.level + (recursive ? 1 : 0),
            ancestors: init.ancestors,
            forbiddenKeys: init.forbiddenKeys,
            requiredKeys: init.requiredKeys,
            excludedTypes: init.excludedTypes,
            consumed: init.consumed
        });
    }
}
