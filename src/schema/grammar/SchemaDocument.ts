export type SchemaValue = Record<string, unknown> | boolean;

/** A subschema and its JSON pointer in the user's document ("" is the root). */
export type SchemaSource = {schema: SchemaValue; path: string};

const defaultBase = "https://airlabel.invalid/schema.json";

/** Keywords whose values are data, not schemas: never searched for identifiers. */
const dataKeywords = new Set(["enum", "const", "default", "examples", "example"]);

export function pointerAppend(path: string, ...segments: (string | number)[]): string {
    return path + segments.map((s) => `/${String(s).replace(/~/gu, "~0").replace(/\//gu, "~1")}`).join("");
}

export function isSchemaObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export type JsonSchemaDraft = "draft-04" | "draft-06" | "draft-07" | "2019-09" | "2020-12";

/** Keywords ajv does not apply in a dialect (so the grammar does not either). */
const notInDialect: Record<JsonSchemaDraft, readonly string[]> = {
    "draft-04": [
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minContains",
        "maxContains",
        "$dynamicRef",
        "$recursiveRef"
    ],
    "draft-06": [
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minContains",
        "maxContains",
        "$dynamicRef",
        "$recursiveRef"
    ],
    "draft-07": [
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minContains",
        "maxContains",
        "$dynamicRef",
        "$recursiveRef"
    ],
    "2019-09": ["prefixItems", "$dynamicRef"],
    "2020-12": ["additionalItems", "$recursiveRef"]
};

/** The dialect `$schema` names, as AnswerSchema reads it (draft-07 when absent). */
export function draftOf(root: SchemaValue): JsonSchemaDraft {
    const declared = typeof root === "object" && typeof root.$schema === "string" ? root.$schema : "";
    if (/2020-12/u.test(declared)) return "2020-12";
    if (/2019-09/u.test(declared)) return "2019-09";
    if (/draft-04/u.test(declared)) return "draft-04";
    if (/draft-06/u.test(declared)) return "draft-06";
    return "draft-07";
}

/**
 * The user's schema document: finds subschemas by JSON pointer and resolves `$ref` (JSON pointers, `$id`
 * and draft-04 `id` base URIs, `$anchor`, plain-name fragments) within the document.
 */
export class SchemaDocument {
    public readonly root: SchemaValue;
    public readonly draft: JsonSchemaDraft;
    /** Keywords of other dialects, which ajv ignores in this one. */
    public readonly ignoredKeywords: ReadonlySet<string>;
    private readonly _resources = new Map<string, string>();
    private readonly _anchors = new Map<string, string>();
    private readonly _baseOf = new Map<string, string>();

    public constructor(root: SchemaValue) {
        this.root = root;
        this.draft = draftOf(root);
        this.ignoredKeywords = new Set(notInDialect[this.draft]);
        this._resources.set(defaultBase, "");
        this.index(root, "", defaultBase);
    }

    /** The value at a JSON pointer, or undefined. */
    public at(path: string): unknown {
        let value: unknown = this.root;
        if (path === "") return value;
        for (const raw of path.slice(1).split("/")) {
            const segment = raw.replace(/~1/gu, "/").replace(/~0/gu, "~");
            if (Array.isArray(value)) value = value[Number(segment)];
            else if (isSchemaObject(value)) value = value[segment];
            else return undefined;
        }
        return value;
    }

    /** Resolves `ref` as written in the subschema at `fromPath`; null when the document has no such target. */
    public resolve(ref: string, fromPath: string): SchemaSource | null {
        let url: URL;
        try {
            url = new URL(ref, this.baseOf(fromPath));
        } catch {
            return null;
        }
        const fragment = decodeURIComponent(url.hash.replace(/^#/u, ""));
        url.hash = "";
        const resource = this._resources.get(url.href);
        let path: string | undefined;
        if (fragment === "" || fragment.startsWith("/")) {
            if (resource === undefined) return null;
            path = resource + fragment;
        } else {
            path = this._anchors.get(`${url.href}#${fragment}`);
        }
        if (path === undefined) return null;
        const schema = this.at(path);
        if (typeof schema !== "boolean" && !isSchemaObject(schema)) return null;
        return {schema, path};
    }

    private baseOf(path: string): string {
        for (let p = path; ; p = p.slice(0, Math.max(0, p.lastIndexOf("/")))) {
            const base = this._baseOf.get(p);
            if (base !== undefined) return base;
            if (p === "") return defaultBase;
        }
    }

    private index(value: unknown, path: string, base: string): void {
        if (Array.isArray(value)) {
            for (const [i, item] of value.entries()) this.index(item, pointerAppend(path, i), base);
            return;
        }
        if (!isSchemaObject(value)) return;
        const id = typeof value.$id === "string" ? value.$id : typeof value.id === "string" ? value.id : undefined;
        if (id !== undefined) {
            try {
                const url = new URL(id, base);
                const anchor = url.hash.replace(/^#/u, "");
                url.hash = "";
                if (anchor !== "" && !anchor.startsWith("/")) this._anchors.set(`${url.href}#${anchor}`, path);
                if (!id.startsWith("#")) {
                    base = url.href;
                    this._resources.set(base, path);
                    this._baseOf.set(path, base);
                }
            } catch {
                // not a URI: not an identifier
            }
        }
        for (const key of ["$anchor", "$dynamicAnchor"]) {
            const anchor = value[key];
            if (typeof anchor === "string") this._anchors.set(`${base}#${anchor}`, path);
        }
        for (const [key, child] of Object.entries(value)) {
            if (!dataKeywords.has(key)) this.index(child, pointerAppend(path, key), base);
        }
    }
}
