import type {Gbnf} from "./gbnf.js";
import type {GrammarBuilder} from "./GrammarBuilder.js";
import type {KeywordLedger} from "./KeywordLedger.js";
import type {SchemaNode} from "./SchemaNode.js";

/** Options after defaults, as the type compilers read them. */
export type ResolvedGrammarOptions = {
    maxRecursionDepth: number;
    maxWhitespace: number;
    spacing: "canonical" | "flexible";
    maxStringLength: number;
    maxItems: number;
    propertyOrder: "schema" | "any";
    intDigits: number;
    fracDigits: number;
};

/** What the per-type compilers (object, array, string, number) get from the schema compiler. */
export interface CompilerContext {
    readonly builder: GrammarBuilder;
    readonly ledger: KeywordLedger;
    readonly options: ResolvedGrammarOptions;
    /** Optional whitespace between JSON tokens ("" when none is allowed: compact or canonical spacing). */
    readonly ws: string;
    /** The whitespace after a ":" or a "," (one space with canonical spacing, else `ws`). */
    readonly separatorWs: string;
    /** The grammar for a value at `node` (a rule name), or null when no value can be produced. */
    compile(node: SchemaNode, hint: string): Gbnf;
    /** Any JSON value (free-form containers nest at most maxRecursionDepth deep). */
    anyValue(): string;
}
