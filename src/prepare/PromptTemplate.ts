import {AirlabelError} from "../AirlabelError.js";
import {stringifyJson} from "../json/stringifyJson.js";

/** Raised when a template is malformed or names a field the data does not have. */
export class TemplateError extends AirlabelError {}

type TemplatePart = {kind: "text"; text: string} | {kind: "field"; path: string[]; name: string};

/**
 * A logic-less prompt template: `{field}` and `{field.sub}` placeholders, `{{` and `}}` for literal braces.
 * No code is ever evaluated. Strings are inserted as they are; other values as compact JSON; null as "".
 */
export class PromptTemplate {
    /** The template text as given. */
    public readonly source: string;
    /** Where the template came from, for error messages (a file name or "--prompt"). */
    public readonly origin: string;
    private readonly _parts: TemplatePart[];

    public constructor(source: string, origin: string = "template") {
        this.source = source;
        this.origin = origin;
        this._parts = parseTemplate(source, origin);
    }

    /** The distinct field names used, as written (`user.name`). */
    public get fields(): string[] {
        return [...new Set(this._parts.flatMap((part) => (part.kind === "field" ? [part.name] : [])))];
    }

    /** Throws a TemplateError when a field's top-level column is not among `columns`. */
    public checkColumns(columns: readonly string[]): void {
        for (const part of this._parts) {
            if (part.kind !== "field") continue;
            const top = part.path[0]!;
            if (!columns.includes(top))
                throw new TemplateError(
                    `${this.origin} uses {${part.name}}, but the input has no column "${top}"; columns available: ${columns.join(", ") || "(none)"}`
                );
        }
    }

    /** Renders the template for one row; `location` names the row in error messages. */
    public render(values: Record<string, unknown>, location: string): string {
        let out = "";
        for (const part of this._parts) {
            if (part.kind === "text") {
                out += part.text;
                continue;
            }
            let value: unknown = values;
            for (let i = 0; i < part.path.length; i++) {
                const key = part.path[i]!;
                if (value == null || typeof value !== "object" || !Object.hasOwn(value, key)) {
                    const available = value != null && typeof value === "object" ? Object.keys(value).join(", ") : "(not an object)";
                    throw new TemplateError(
                        `${this.origin} uses {${part.name}}, which ${location} does not have; ` +
                            `${i === 0 ? "columns" : `fields of ${part.path.slice(0, i).join(".")}`} available: ${available || "(none)"}`
                    );
                }
                value = (value as Record<string, unknown>)[key];
            }
            out += stringifyValue(value);
        }
        return out;
    }
}

function stringifyValue(value: unknown): string {
    if (value == null) return "";
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
    return stringifyJson(value);
}

function parseTemplate(source: string, origin: string): TemplatePart[] {
    const parts: TemplatePart[] = [];
    let text = "";
    let i = 0;
    while (i < source.length) {
        const ch = source[i]!;
        if (ch === "{" && source[i + 1] === "{") {
            text += "{";
            i += 2;
        } else if (ch === "}" && source[i + 1] === "}") {
            text += "}";
            i += 2;
        } else if (ch === "{") {
            const end = source.indexOf("}", i + 1);
            if (end < 0) throw new TemplateError(`${origin} has an unclosed "{" at character ${i + 1}; write "{{" for a literal brace`);
            const name = source.slice(i + 1, end).trim();
            if (!/^[^{}.\s][^{}]*$/u.test(name) || name.split(".").some((segment) => segment.length === 0))
                throw new TemplateError(
                    `${origin} has an invalid placeholder "{${source.slice(i + 1, end)}}" at character ${i + 1}; use {column} or {column.field}`
                );
            if (text.length > 0) parts.push({kind: "text", text});
            text = "";
            parts.push({kind: "field", name, path: name.split(".")});
            i = end + 1;
        } else if (ch === "}") {
            throw new TemplateError(`${origin} has a stray "}" at character ${i + 1}; write "}}" for a literal brace`);
        } else {
            text += ch;
            i++;
        }
    }
    if (text.length > 0) parts.push({kind: "text", text});
    return parts;
}
