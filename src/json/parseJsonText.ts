/** How deep JSON values airlabel reads may nest (objects and arrays); a deeper record is refused. */
export const maxJsonDepth = 1000;

/** A JSON text that is valid JSON but not one airlabel reads: too deep, a duplicate key, a number beyond a float. */
export class JsonValueError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "JsonValueError";
    }
}

/**
 * Parses JSON text without changing a value: integers beyond 2^53 come back as `bigint` (`stringifyJson` writes
 * them back digit for digit), safe integers and other numbers as numbers. Throws `SyntaxError` (from `JSON.parse`)
 * for text that is not JSON, and `JsonValueError` for values nested more than `maxJsonDepth` deep, an object
 * with a duplicate key, or a number beyond the range of a 64-bit float (`1e400`).
 * Most texts take the native `JSON.parse`; one pass over the text decides whether a slower exact parse is needed.
 */
export function parseJsonText(text: string): unknown {
    const scan = scanJson(text);
    if (scan.depth > maxJsonDepth)
        throw new JsonValueError(`nested ${scan.depth} levels deep, more than the ${maxJsonDepth} airlabel reads; flatten the value`);
    const value: unknown = JSON.parse(text);
    if (!scan.longNumbers && countKeys(value) === scan.colons) return value;
    return new ExactParser(text).parse();
}

type JsonScan = {
    /** Deepest nesting of objects and arrays. */
    depth: number;
    /** Colons outside strings: the number of object members, duplicates included. */
    colons: number;
    /** Whether a number has 16 or more integer digits or an exponent of 3 or more digits (a float may not hold it exactly). */
    longNumbers: boolean;
};

function scanJson(text: string): JsonScan {
    let depth = 0;
    let maxDepth = 0;
    let colons = 0;
    /** Digits in a row in the current part of a number: its integer part (0), fraction (1) or exponent (2). */
    let digits = 0;
    let part = 0;
    let longNumbers = false;
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 48 && code <= 57) {
            digits++;
            // 16 integer digits may pass 2^53; a 3-digit exponent may pass the float range (a long fraction cannot)
            if ((part === 0 && digits >= 16) || (part === 2 && digits >= 3)) longNumbers = true;
            continue;
        }
        if (code === 46 && digits > 0 && part === 0) {
            // .
            part = 1;
            digits = 0;
            continue;
        }
        if ((code === 101 || code === 69) && digits > 0 && part !== 2) {
            // e E after a digit: an exponent
            part = 2;
            digits = 0;
            continue;
        }
        if ((code === 43 || code === 45) && part === 2 && digits === 0) continue; // the exponent's sign
        digits = 0;
        part = 0;
        if (code === 34) i = stringEnd(text, i);
        else if (code === 123 || code === 91) {
            if (++depth > maxDepth) maxDepth = depth;
        } else if (code === 125 || code === 93) depth--;
        else if (code === 58) colons++;
    }
    return {depth: maxDepth, colons, longNumbers};
}

/** The index of the quote that closes the string opened at `start` (or the text's end). */
function stringEnd(text: string, start: number): number {
    let i = start + 1;
    while (i < text.length) {
        const code = text.charCodeAt(i);
        if (code === 34) return i;
        i += code === 92 ? 2 : 1;
    }
    return text.length;
}

/** The number of object members in a parsed value (duplicate keys collapse, so fewer than the colons). */
function countKeys(value: unknown): number {
    if (value === null || typeof value !== "object") return 0;
    let count = 0;
    if (Array.isArray(value)) {
        for (const item of value) count += countKeys(item);
        return count;
    }
    for (const key in value) {
        count++;
        count += countKeys((value as Record<string, unknown>)[key]);
    }
    return count;
}

const numberPattern = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** A recursive-descent parser for text `JSON.parse` has accepted (so no syntax checks) and no deeper than `maxJsonDepth`. */
class ExactParser {
    readonly #text: string;
    #at = 0;

    public constructor(text: string) {
        this.#text = text;
    }

    public parse(): unknown {
        return this.#value();
    }

    #value(): unknown {
        this.#skipSpace();
        const code = this.#text.charCodeAt(this.#at);
        switch (code) {
            case 123:
                return this.#object();
            case 91:
                return this.#array();
            case 34:
                return this.#string();
            case 116:
                this.#at += 4;
                return true;
            case 102:
                this.#at += 5;
                return false;
            case 110:
                this.#at += 4;
                return null;
            default:
                return this.#number();
        }
    }

    #object(): Record<string, unknown> {
        const out: Record<string, unknown> = {};
        this.#at++;
        this.#skipSpace();
        if (this.#text.charCodeAt(this.#at) === 125) {
            this.#at++;
            return out;
        }
        while (true) {
            this.#skipSpace();
            const key = this.#string();
            this.#skipSpace();
            this.#at++; // :
            const item = this.#value();
            if (Object.hasOwn(out, key)) throw new JsonValueError(`duplicate key ${JSON.stringify(key)} in one object; keep one of them`);
            Object.defineProperty(out, key, {value: item, enumerable: true, writable: true, configurable: true});
            this.#skipSpace();
            if (this.#text.charCodeAt(this.#at++) === 125) return out;
        }
    }

    #array(): unknown[] {
        const out: unknown[] = [];
        this.#at++;
        this.#skipSpace();
        if (this.#text.charCodeAt(this.#at) === 93) {
            this.#at++;
            return out;
        }
        while (true) {
            out.push(this.#value());
            this.#skipSpace();
            if (this.#text.charCodeAt(this.#at++) === 93) return out;
        }
    }

    #string(): string {
        const start = this.#at;
        const end = stringEnd(this.#text, start);
        this.#at = end + 1;
        const raw = this.#text.slice(start + 1, end);
        return raw.includes("\\") ? (JSON.parse(this.#text.slice(start, end + 1)) as string) : raw;
    }

    #number(): number | bigint {
        numberPattern.lastIndex = this.#at;
        const match = numberPattern.exec(this.#text)!;
        const token = match[0];
        this.#at += token.length;
        if (match[1] === undefined && match[2] === undefined) {
            if (token.length < 16) return Number(token);
            const exact = BigInt(token);
            return exact <= maxSafe && exact >= -maxSafe ? Number(exact) : exact;
        }
        const value = Number(token);
        if (!Number.isFinite(value))
            throw new JsonValueError(
                `the number ${token.length > 40 ? `${token.slice(0, 37)}...` : token} is beyond the range of a 64-bit float; write it as a string`
            );
        return value;
    }

    #skipSpace(): void {
        while (true) {
            const code = this.#text.charCodeAt(this.#at);
            if (code !== 32 && code !== 10 && code !== 13 && code !== 9) return;
            this.#at++;
        }
    }
}
