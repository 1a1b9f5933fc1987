import {describe, expect, test} from "vitest";
import {oneLine} from "../../src/oneLine.js";

// The one helper behind every "(<cause>)" part of airlabel's one-line error messages (datasets, hooks, job files,
// option files, schemas, the openai backend): the CLI prints `airlabel: <message>` as one line.
describe("oneLine", () => {
    test("an error's message with every run of whitespace, newlines included, as one space", () => {
        expect(oneLine(new Error("Unexpected token\n  at line 3:\r\n\tcolumn 4  \n"))).toBe("Unexpected token at line 3: column 4");
        expect(oneLine(new SyntaxError("bad"))).toBe("bad");
    });

    test("values that are not errors are shown as text", () => {
        expect(oneLine("server said:\n  busy")).toBe("server said: busy");
        expect(oneLine(42)).toBe("42");
        expect(oneLine(undefined)).toBe("undefined");
    });

    test("an empty message gives the error's name, or (no message)", () => {
        expect(oneLine(new TypeError(""))).toBe("TypeError");
        expect(oneLine(new Error(" \n "))).toBe("Error");
        expect(oneLine("")).toBe("(no message)");
    });

    test("maxLength cuts a longer line, ending it with ...", () => {
        expect(oneLine("a".repeat(20), 10)).toBe("aaaaaaa...");
        expect(oneLine("a".repeat(10), 10)).toBe("a".repeat(10));
        expect(oneLine(new Error("x\ny"), 10)).toBe("x y");
    });
});
