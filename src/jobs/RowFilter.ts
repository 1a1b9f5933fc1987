import {AirlabelError} from "../AirlabelError.js";
import {parseJsonText} from "../json/parseJsonText.js";

/** Raised when a `where:` filter is malformed. */
export class RowFilterError extends AirlabelError {
    public constructor(message: string) {
        super(message, {exitCode: 2});
    }
}

const operators = ["==", "!=", "<=", ">=", "<", ">", "in", "exists"] as const;
type Operator = (typeof operators)[number];

type Condition =
    | {kind: "compare"; path: string[]; field: string; op: Operator; value: unknown}
    | {kind: "all"; items: Condition[]}
    | {kind: "any"; items: Condition[]}
    | {kind: "not"; item: Condition};

/**
 * A declarative row filter (`where:` of a job step); nothing is ever evaluated as code. Forms:
 * `"steps.judge.annotation.score >= 5"` (a field path, an operator `== != < <= > >=`, a JSON value),
 * `{field, op, value}` (op also `in` with a list value, or `exists`), `{all: [...]}`, `{any: [...]}`, `{not: ...}`.
 * Comparisons `< <= > >=` hold only between two numbers or two strings; a missing field is undefined (only `!=`
 * and `exists: false` hold for it); `==` compares JSON values deeply.
 */
export class RowFilter {
    /** The filter as written, for messages. */
    public readonly source: string;
    private readonly _condition: Condition;

    private constructor(condition: Condition, source: string) {
        this._condition = condition;
        this.source = source;
    }

    /** Parses a `where:` value; `origin` names it in errors (`job.yaml: steps[2].where`). Throws RowFilterError. */
    public static parse(spec: unknown, origin: string): RowFilter {
        return new RowFilter(parseCondition(spec, origin), typeof spec === "string" ? spec : JSON.stringify(spec));
    }

    /** Whether `row` passes. */
    public test(row: Record<string, unknown>): boolean {
        return evaluate(this._condition, row);
    }
}

function parseCondition(spec: unknown, origin: string): Condition {
    if (typeof spec === "string") return parseExpression(spec, origin);
    if (typeof spec !== "object" || spec === null || Array.isArray(spec))
        throw new RowFilterError(`${origin}: must be "<field> <op> <value>" or an object ({field, op, value}, {all: [...]}, {any: [...]} or {not: ...})`);
    const record = spec as Record<string, unknown>;
    const keys = Object.keys(record);
    for (const group of ["all", "any"] as const) {
        if (!(group in record)) continue;
        if (keys.length !== 1)
            throw new RowFilterError(
                `${origin}: "${group}" cannot be combined with ${keys
                    .filter((k) => k !== group)
                    .map((k) => `"${k}"`)
                    .join(", ")}; nest them inside it`
            );
        const items = record[group];
        if (!Array.isArray(items) || items.length === 0) throw new RowFilterError(`${origin}.${group}: must be a non-empty list of conditions`);
        return {kind: group, items: items.map((item, i) => parseCondition(item, `${origin}.${group}[${i}]`))};
    }
    if ("not" in record) {
        if (keys.length !== 1) throw new RowFilterError(`${origin}: "not" cannot be combined with other keys; nest them inside it`);
        return {kind: "not", item: parseCondition(record.not, `${origin}.not`)};
    }
    const unknown = keys.filter((k) => k !== "field" && k !== "op" && k !== "value");
    if (unknown.length > 0) throw new RowFilterError(`${origin}: unknown key "${unknown[0]}"; a condition is {field, op, value}`);
    if (typeof record.field !== "string") throw new RowFilterError(`${origin}.field: must be a field path such as "steps.judge.annotation.score"`);
    if (typeof record.op !== "string" || !(operators as readonly string[]).includes(record.op))
        throw new RowFilterError(`${origin}.op: must be one of ${operators.join(" ")}`);
    const op = record.op as Operator;
    if (op !== "exists" && !("value" in record)) throw new RowFilterError(`${origin}.value: missing (the value "${op}" compares with)`);
    if (op === "in" && !Array.isArray(record.value)) throw new RowFilterError(`${origin}.value: must be a list with "in"`);
    if (op === "exists" && "value" in record && typeof record.value !== "boolean")
        throw new RowFilterError(`${origin}.value: must be true or false with "exists"`);
    return compare(record.field, op, op === "exists" ? (record.value ?? true) : record.value, `${origin}.field`);
}

function parseExpression(text: string, origin: string): Condition {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/u.exec(text);
    if (match === null)
        throw new RowFilterError(`${origin}: "${text}" is not "<field> <op> <value>" (op: == != < <= > >=; value: JSON such as 5, "yes", true, null)`);
    let value: unknown;
    try {
        value = parseJsonText(match[3]!); // exact: an id past 2^53 compares equal to the same id in a row
    } catch {
        throw new RowFilterError(`${origin}: the value ${match[3]!} in "${text}" is not JSON; quote strings ("yes")`);
    }
    return compare(match[1]!, match[2]! as Operator, value, origin);
}

function compare(field: string, op: Operator, value: unknown, origin: string): Condition {
    const path = field.split(".");
    if (path.some((part) => part.length === 0)) throw new RowFilterError(`${origin}: "${field}" is not a field path (names joined by ".")`);
    return {kind: "compare", path, field: path[0]!, op, value};
}

function lookup(row: Record<string, unknown>, path: readonly string[]): unknown {
    let value: unknown = row;
    for (const key of path) {
        if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
        value = (value as Record<string, unknown>)[key];
    }
    return value;
}

function evaluate(condition: Condition, row: Record<string, unknown>): boolean {
    switch (condition.kind) {
        case "all":
            return condition.items.every((item) => evaluate(item, row));
        case "any":
            return condition.items.some((item) => evaluate(item, row));
        case "not":
            return !evaluate(condition.item, row);
        case "compare": {
            const actual = lookup(row, condition.path);
            const expected = condition.value;
            switch (condition.op) {
                case "exists":
                    return (actual !== undefined) === expected;
                case "==":
                    return actual !== undefined && deepEqual(actual, expected);
                case "!=":
                    return actual === undefined || !deepEqual(actual, expected);
                case "in":
                    return actual !== undefined && (expected as unknown[]).some((item) => deepEqual(actual, item));
                default: {
                    const numeric = (value: unknown) => typeof value === "number" || typeof value === "bigint";
                    const comparable = (numeric(actual) && numeric(expected)) || (typeof actual === "string" && typeof expected === "string");
                    if (!comparable) return false;
                    const a = actual as number | bigint | string,
                        b = expected as number | bigint | string;
                    return condition.op === "<" ? a < b : condition.op === "<=" ? a <= b : condition.op === ">" ? a > b : a >= b;
                }
            }
        }
    }
}

function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a),
        kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
