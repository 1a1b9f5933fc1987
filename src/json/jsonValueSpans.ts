/** A range of characters of a JSON text: [start, end). For a string, the characters between its quotes. */
export type JsonSpan = {start: number; end: number};

/** Where the values of a JSON text are. */
export type JsonValueSpans = {
    /** The whole value (a string: between its quotes). */
    root: JsonSpan;
    /** The value of each key of a top-level object (none when the value is not an object). */
    keys: Map<string, JsonSpan>;
    /** Every string, number, boolean and null, at any depth, in text order. */
    leaves: JsonSpan[];
};

const whitespace = new Set([" ", "\t", "\n", "\r"]);

/**
 * The character ranges of the values of a valid JSON text (as `JSON.parse` accepts it), for mapping generated tokens
 * to the parts of an answer. Returns undefined for text that is not one JSON value.
 */
export function jsonValueSpans(text: string): JsonValueSpans | undefined {
    const scanner = new SpanScanner(text);
    try {
        const spans: JsonValueSpans = {root: {start: 0, end: 0}, keys: new Map(), leaves: []};
        scanner.skipWhitespace();
        spans.root = scanner.value(spans, true);
        scanner.skipWhitespace();
        return scanner.at === text.length ? spans : undefined;
    } catch {
        return undefined;
    }
}

class SpanScanner {
    public at = 0;
    readonly #text: string;

    public constructor(text: string) {
        this.#text = text;
    }

    public skipWhitespace(): void {
        while (this.at < this.#text.length && whitespace.has(this.#text[this.at]!)) this.at++;
    }

    /** Scans the value at `at`; `top`: record an object's keys in `spans.keys`. */
    public value(spans: JsonValueSpans, top: boolean): JsonSpan {
        const first = this.#text[this.at];
        if (first === "{") return this.#object(spans, top);
        if (first === "[") return this.#array(spans);
        const start = this.at;
        if (first === '"') {
            this.#string();
            const span = {start: start + 1, end: this.at - 1};
            spans.leaves.push(span);
            return span;
        }
        while (this.at < this.#text.length && /[-+.0-9a-zA-Z]/u.test(this.#text[this.at]!)) this.at++;
        if (this.at === start) throw new Error(`no JSON value at ${start}`);
        const span = {start, end: this.at};
        spans.leaves.push(span);
        return span;
    }

    #expect(char: string): void {
        if (this.#text[this.at] !== char) throw new Error(`expected ${char} at ${this.at}`);
        this.at++;
    }

    #string(): string {
        const start = this.at;
        this.#expect('"');
        while (this.at < this.#text.length && this.#text[this.at] !== '"') this.at += this.#text[this.at] === "\\" ? 2 : 1;
        this.#expect('"');
        return JSON.parse(this.#text.slice(start, this.at)) as string;
    }

    #object(spans: JsonValueSpans, top: boolean): JsonSpan {
        const start = this.at;
        this.#expect("{");
        this.skipWhitespace();
        if (this.#text[this.at] === "}") {
            this.at++;
            return {start, end: this.at};
        }
        for (;;) {
            this.skipWhitespace();
            const key = this.#string();
            this.skipWhitespace();
            this.#expect(":");
            this.skipWhitespace();
            const span = this.value(spans, false);
            if (top) spans.keys.set(key, span);
            this.skipWhitespace();
            if (this.#text[this.at] === "}") {
                this.at++;
                return {start, end: this.at};
            }
            this.#expect(",");
        }
    }

    #array(spans: JsonValueSpans): JsonSpan {
        const start = this.at;
        this.#expect("[");
        this.skipWhitespace();
        if (this.#text[this.at] === "]") {
            this.at++;
            return {start, end: this.at};
        }
        for (;;) {
            this.skipWhitespace();
            this.value(spans, false);
            this.skipWhitespace();
            if (this.#text[this.at] === "]") {
                this.at++;
                return {start, end: this.at};
            }
            this.#expect(",");
        }
    }
}
