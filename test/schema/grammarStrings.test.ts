import {describe, expect, test} from "vitest";
import {useGrammarHarness} from "./grammarHarness.js";

const harness = useGrammarHarness();

describe("strings", () => {
    test("JSON escapes are allowed, raw control characters and lone surrogate escapes are not", async () => {
        const g = await harness.compile({type: "string"});
        expect(
            g.mismatches({
                accept: ['""', '"a b"', '"q\\"q"', '"back\\\\slash"', '"line\\nbreak\\t"', '"\\u00e9t\\u00E9"', '"é 日本 🎉"', '"\\/"'],
                reject: ['"a\nb"', '"tab\there"', '"\\x41"', '"\\ud800"', '"\\q"', '"unterminated', "'single'"]
            })
        ).toEqual([]);
    });

    test("minLength and maxLength count characters (an escape is one)", async () => {
        const g = await harness.compile({type: "string", minLength: 2, maxLength: 3});
        expect(g.mismatches({accept: ['"ab"', '"abc"', '"\\n\\n"', '"日本"'], reject: ['"a"', '"abcd"', '""']})).toEqual([]);
    });

    test("maxStringLength caps strings without maxLength, never below minLength", async () => {
        const g = await harness.compile(
            {type: "object", properties: {a: {type: "string"}, b: {type: "string", minLength: 6}}, required: ["a", "b"]},
            {maxStringLength: 4}
        );
        expect(g.mismatches({accept: ['{"a":"abcd","b":"abcdef"}'], reject: ['{"a":"abcde","b":"abcdef"}', '{"a":"","b":"abcde"}']})).toEqual([]);
    });
});

describe("pattern", () => {
    test("anchored patterns: classes, quantifiers, groups, alternation", async () => {
        const g = await harness.compile({type: "string", pattern: "^(?:[A-Z]{2,3}-\\d{1,4}|none)$"});
        expect(g.mismatches({accept: ['"AB-1"', '"XYZ-2024"', '"none"'], reject: ['"A-1"', '"ABCD-1"', '"AB-12345"', '"ab-1"', '"None"', '"AB-"']})).toEqual(
            []
        );
    });

    test("an unanchored pattern is searched: free text around it", async () => {
        const g = await harness.compile({type: "string", pattern: "@"});
        expect(g.mismatches({accept: ['"@"', '"me@example.org"', '"a@"'], reject: ['"nothing"', '""']})).toEqual([]);
        const prefix = await harness.compile({type: "string", pattern: "^ID-"});
        expect(prefix.mismatches({accept: ['"ID-"', '"ID-42 x"'], reject: ['"xID-"', '"id-1"']})).toEqual([]);
    });

    test("quotes, backslashes and control characters in a pattern are JSON-escaped", async () => {
        const g = await harness.compile({type: "string", pattern: '^"[\\\\\\n]\\.$'});
        expect(g.mismatches({accept: ['"\\"\\\\."', '"\\"\\n."'], reject: ['""\\\\."', '"\\"x."']})).toEqual([]);
    });

    test("negated classes, \\d \\w \\s \\S and dot", async () => {
        const g = await harness.compile({type: "string", pattern: "^[^0-9]\\w\\s\\S.$"});
        expect(g.mismatches({accept: ['"a_ bc"', '"é9\\tx-"'], reject: ['"1a bc"', '"a_xbc"', '"a_  c"', '"a_ b\\n"']})).toEqual([]);
    });

    test("pattern and maxLength together (length counted through the regex)", async () => {
        const g = await harness.compile({type: "string", maxLength: 6, pattern: "^ *-?[0-9]*(\\.[0-9]+)? *$"});
        expect(g.mismatches({accept: ['"12.5"', '" -1.25"', '""'], reject: ['"1234567"', '"  -1.25"', '"1."']})).toEqual([]);
        expect(g.compiled.validatedOnly).toEqual([]);
    });

    test("a pattern with lookahead or backreference is left to validation", async () => {
        const g = await harness.compile({type: "string", pattern: "^(?=.*[0-9])[a-z0-9]+$"});
        expect(g.compiled.validatedOnly).toEqual(["/pattern"]);
        expect(g.compiled.reasons["/pattern"]).toMatch(/lookaround/u);
    });
});

describe("format", () => {
    test("date: real calendar days only", async () => {
        const g = await harness.compile({type: "string", format: "date"});
        expect(
            g.mismatches({
                accept: ['"2024-01-31"', '"1999-04-30"', '"2023-02-28"'],
                reject: ['"2024-02-30"', '"2024-04-31"', '"2024-13-01"', '"2024-1-01"', '"24-01-01"']
            })
        ).toEqual([]);
    });

    test("time and date-time with a time zone", async () => {
        const time = await harness.compile({type: "string", format: "time"});
        expect(time.mismatches({accept: ['"23:59:59Z"', '"08:00:00.123+02:00"'], reject: ['"24:00:00Z"', '"12:60:00Z"', '"12:00:00"']})).toEqual([]);
        const dateTime = await harness.compile({type: "string", format: "date-time"});
        expect(
            dateTime.mismatches({accept: ['"2024-05-06T07:08:09Z"', '"2024-05-06T07:08:09-05:00"'], reject: ['"2024-05-06 07:08:09Z"', '"2024-05-06T07:08Z"']})
        ).toEqual([]);
    });

    test("uuid, email, uri, ipv4, hostname", async () => {
        const uuid = await harness.compile({type: "string", format: "uuid"});
        expect(
            uuid.mismatches({
                accept: ['"123e4567-e89b-12d3-a456-426614174000"'],
                reject: ['"123e4567e89b12d3a456426614174000"', '"123e4567-e89b-12d3-a456-42661417400g"']
            })
        ).toEqual([]);
        const email = await harness.compile({type: "string", format: "email"});
        expect(
            email.mismatches({accept: ['"jane.doe@example.com"', '"a+b@mail-1.example.org"'], reject: ['"jane"', '"@example.com"', '"a@b"', '"a@-b.com"']})
        ).toEqual([]);
        const uri = await harness.compile({type: "string", format: "uri"});
        expect(
            uri.mismatches({accept: ['"https://example.com"', '"http://a.b:8080/x/y?q=1#f"'], reject: ['"example.com"', '"https://"', '"https://a b"']})
        ).toEqual([]);
        const ipv4 = await harness.compile({type: "string", format: "ipv4"});
        expect(ipv4.mismatches({accept: ['"192.168.0.1"', '"255.255.255.255"', '"0.0.0.0"'], reject: ['"256.1.1.1"', '"1.2.3"', '"01.2.3.4"']})).toEqual([]);
        const hostname = await harness.compile({type: "string", format: "hostname"});
        expect(hostname.mismatches({accept: ['"example.com"', '"a-1.b"', '"localhost"'], reject: ['"-a.com"', '"a-.com"', '"a..b"']})).toEqual([]);
    });

    test("a format with a pattern it satisfies: the format is encoded; an unknown format is ignored as ajv does", async () => {
        const g = await harness.compile({type: "string", format: "date", pattern: "^\\d{4}(-\\d{2})?(-\\d{2})?$"});
        expect(g.mismatches({accept: ['"2024-01-31"'], reject: ['"2024"']})).toEqual([]);
        expect(g.compiled.validatedOnly).toEqual(["/pattern"]);
        const unknown = await harness.compile({type: "string", format: "color"});
        expect(unknown.compiled.ignored).toEqual(["/format"]);
        expect(unknown.mismatches({accept: ['"red"']})).toEqual([]);
    });
});
