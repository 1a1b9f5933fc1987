import {endOfLiteralOrClass, isRuleName, type Gbnf} from "./gbnf.js";

/** Raised by the builder when a limit is reached; the compiler turns it into a SchemaGrammarError. */
export class GrammarLimitError extends Error {}

export type GrammarBuilderLimits = {
    /** `Date.now()` after which building stops. */
    deadline: number;
    /** Largest grammar, in bytes of GBNF text. */
    maxBytes: number;
};

/**
 * llama.cpp expands `x{m,n}` into n rules and refuses (or silently unbounds) counts above 2000; longer
 * repetitions are written as repetitions of chunks of this size.
 */
const chunk = 1000;

/**
 * Collects the rules of one grammar. Rules with the same body are shared (so a subschema used in many places,
 * or the same string shape, costs one rule), names are derived from hints and made unique, and every new rule
 * checks the time and size limits.
 */
export class GrammarBuilder {
    private readonly _rules = new Map<string, string>();
    private readonly _byBody = new Map<string, string>();
    private readonly _nextSuffix = new Map<string, number>();
    private readonly _limits: GrammarBuilderLimits;
    private _bytes = 0;

    public constructor(limits: GrammarBuilderLimits) {
        this._limits = limits;
    }

    /** A rule named after `hint` with this body (an existing rule when one has the same body). */
    public rule(hint: string, body: string): string {
        if (isRuleName(body)) return body;
        const existing = this._byBody.get(body);
        if (existing !== undefined) return existing;
        const base = sanitize(hint);
        let name = base;
        for (let i = this._nextSuffix.get(base) ?? 2; this._rules.has(name) || name === "root"; i++) {
            name = `${base}-${i}`;
            this._nextSuffix.set(base, i + 1);
        }
        this.add(name, body);
        this._byBody.set(body, name);
        return name;
    }

    /** A rule with exactly this name (for the fixed rules: ws, string parts); defined once. */
    public named(name: string, body: string): string {
        if (!this._rules.has(name)) this.add(name, body);
        return name;
    }

    /** `x` repeated `min` to `max` times (`max` may be Infinity); `x` must not match the empty string. */
    public repeat(x: Gbnf, min: number, max: number, hint = "rep"): Gbnf {
        if (max < min) return null;
        if (x === null) return min === 0 ? "" : null;
        if (x === "" || max === 0) return "";
        // a repeated group is a rule of its own: llama.cpp refuses repetitions of groups that hold many generated rules
        const unit = isRuleName(x) || /^("([^"\\]|\\.)*"|\[([^\]\\]|\\.)*\])$/u.test(x) ? x : this.rule(hint, x);
        if (min > chunk || (max !== Infinity && max > 2 * chunk)) {
            // blocks of `chunk` units, themselves repeated (recursively, so any count stays exact)
            const block = this.rule(`${hint}-${chunk}`, `${unit}{${chunk}}`);
            const fullBlocks = Math.floor(min / chunk);
            const head = fullBlocks > 0 ? this.repeat(block, fullBlocks, fullBlocks, `${hint}-blocks`)! : "";
            const restMin = min - fullBlocks * chunk;
            const restMax = max === Infinity ? Infinity : max - fullBlocks * chunk;
            let rest: string;
            if (restMax === Infinity || restMax <= 2 * chunk) {
                rest = quantify(unit, restMin, restMax);
            } else {
                // unit{restMin} then 0..span more: fewer than q blocks and a tail of 0..chunk-1, or q blocks and 0..r
                const span = restMax - restMin;
                const q = Math.floor(span / chunk);
                const r = span - q * chunk;
                const tail = this.rule(`${hint}-tail`, quantify(unit, 0, chunk - 1));
                const fewer = this.rule(`${hint}-fewer`, `${this.repeat(block, 0, q - 1, `${hint}-blocks`)} ${tail}`.trim());
                const exact = `${this.repeat(block, q, q, `${hint}-blocks`)}${r > 0 ? ` ${quantify(unit, 0, r)}` : ""}`;
                const choice = `(${fewer} | ${exact})`;
                rest = restMin > 0 ? `${quantify(unit, restMin, restMin)} ${choice}` : choice;
            }
            return [head, rest].filter((p) => p !== "").join(" ");
        }
        return quantify(unit, min, max);
    }

    /** Fails when the time or size budget is spent. */
    public check(): void {
        if (Date.now() > this._limits.deadline) throw new GrammarLimitError("compile time limit reached");
        if (this._bytes > this._limits.maxBytes) throw new GrammarLimitError(`grammar larger than ${this._limits.maxBytes} bytes`);
    }

    /** The grammar text: `root ::= <rootExpr>` then the rules it uses, one per line; `rules` is how many lines. */
    public render(rootExpr: string): {text: string; rules: number} {
        const used = new Set<string>();
        const queue = [rootExpr];
        while (queue.length > 0) {
            for (const name of referencedNames(queue.pop()!)) {
                if (used.has(name) || !this._rules.has(name)) continue;
                used.add(name);
                queue.push(this._rules.get(name)!);
            }
        }
        const lines = [`root ::= ${rootExpr}`];
        for (const [name, body] of this._rules) if (used.has(name)) lines.push(`${name} ::= ${body}`);
        return {text: lines.join("\n"), rules: lines.length};
    }

    private add(name: string, body: string): void {
        this._rules.set(name, body);
        this._bytes += name.length + body.length + 6;
        this.check();
    }
}

function quantify(unit: string, min: number, max: number): string {
    if (min === 1 && max === 1) return unit;
    if (min === 0 && max === 1) return `${unit}?`;
    if (min === 0 && max === Infinity) return `${unit}*`;
    if (min === 1 && max === Infinity) return `${unit}+`;
    if (max === Infinity) return `${unit}{${min},}`;
    if (min === max) return `${unit}{${min}}`;
    return `${unit}{${min},${max}}`;
}

function sanitize(hint: string): string {
    const name = hint
        .toLowerCase()
        .replace(/[^a-z0-9-]+/gu, "-")
        .replace(/-+/gu, "-")
        .replace(/^-|-$/gu, "")
        .slice(0, 40)
        .replace(/-$/u, "");
    return name === "" ? "r" : name;
}

/** Rule names an expression refers to (outside literals and character classes). */
function referencedNames(expr: string): string[] {
    const names: string[] = [];
    let i = 0;
    while (i < expr.length) {
        const c = expr[i]!;
        if (c === '"' || c === "[") {
            i = endOfLiteralOrClass(expr, i) + 1;
        } else if (c === "{") {
            while (i < expr.length && expr[i] !== "}") i++;
        } else if (/[a-zA-Z0-9-]/u.test(c)) {
            let j = i;
            while (j < expr.length && /[a-zA-Z0-9-]/u.test(expr[j]!)) j++;
            names.push(expr.slice(i, j));
            i = j;
        } else i++;
    }
    return names;
}
