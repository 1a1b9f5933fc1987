import type {GrammarBuilder} from "./GrammarBuilder.js";

/** Formats ajv-formats checks (others are ignored by ajv, so by airlabel too). */
export const ajvFormats = new Set([
    "date",
    "time",
    "date-time",
    "iso-time",
    "iso-date-time",
    "duration",
    "uri",
    "uri-reference",
    "uri-template",
    "url",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "regex",
    "uuid",
    "json-pointer",
    "json-pointer-uri-fragment",
    "relative-json-pointer",
    "byte",
    "int32",
    "int64",
    "float",
    "double",
    "password",
    "binary"
]);

/** Formats on numbers, handled by the number grammar. */
export const numberFormats = new Set(["int32", "int64", "float", "double"]);

/** Formats that accept every string. */
export const unconstrainedFormats = new Set(["password", "binary"]);

export type FormatGrammar = {content: string; minLength: number; maxLength: number};

/** Values the format grammar can produce, to test a pattern given beside the format. */
export const formatExamples: Record<string, string[]> = {
    date: ["2024-01-31", "1999-12-01"],
    time: ["12:30:00Z", "08:15:30.5+02:00"],
    "iso-time": ["12:30:00Z", "08:15:30.5+02:00"],
    "date-time": ["2024-01-31T12:30:00Z", "1999-12-01T08:15:30.5+02:00"],
    "iso-date-time": ["2024-01-31T12:30:00Z", "1999-12-01T08:15:30.5+02:00"],
    uuid: ["123e4567-e89b-12d3-a456-426614174000", "A23E4567-E89B-12D3-A456-426614174000"],
    ipv4: ["192.168.0.1", "8.8.8.8"],
    ipv6: ["2001:db8:0:0:0:0:2:1"],
    hostname: ["example.com", "a-b.example.org"],
    email: ["jane.doe@example.com", "a_b+c@mail-1.example.org"],
    uri: ["https://example.com/a/b?x=1#top", "http://a-b.example.org:8080/"],
    "uri-reference": ["https://example.com/a/b?x=1#top", "http://a-b.example.org:8080/"],
    url: ["https://example.com/a/b", "http://a-b.example.org"],
    duration: ["P3D", "PT12H"],
    "json-pointer": ["/a/b", ""],
    byte: ["aGVsbG8=", ""]
};

const hex = "[0-9a-fA-F]";
const alnum = "[a-zA-Z0-9]";

/**
 * GBNF for the content of a string in a format (a subset of what ajv-formats accepts, written so that
 * everything it allows passes ajv's full format check), or undefined when the format is not encoded.
 */
export function formatGrammar(format: string, builder: GrammarBuilder): FormatGrammar | undefined {
    const rule = (name: string, body: string) => builder.named(name, body);
    const date = () =>
        rule(
            "fmt-date",
            `[0-9]{4} "-" (("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02-" ("0" [1-9] | "1" [0-9] | "2" [0-8]))`
        );
    const time = () => {
        const hh = rule("fmt-hour", `[01] [0-9] | "2" [0-3]`);
        const mm = rule("fmt-minute", `[0-5] [0-9]`);
        return rule("fmt-time", `${hh} ":" ${mm} ":" ${mm} ("." [0-9]{1,6})? ("Z" | [+-] ${hh} ":" ${mm})`);
    };
    const label = () => rule("fmt-label", `${alnum} ([a-zA-Z0-9-]{0,61} ${alnum})?`);
    const hostname = () => rule("fmt-hostname", `${label()} ("." ${label()}){0,2}`);
    const octet = () => rule("fmt-octet", `"25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9] [0-9] | [0-9]`);
    const pchar = () => rule("fmt-pchar", `[a-zA-Z0-9._~!$&'()*+,;=:@-] | "%" ${hex} ${hex}`);
    const uri = () =>
        rule(
            "fmt-uri",
            `("http" | "https") "://" ${hostname()} (":" [0-9]{1,5})? ("/" ${pchar()}{0,32}){0,8} ("?" (${pchar()} | [/?]){0,64})? ("#" (${pchar()} | [/?]){0,32})?`
        );
    switch (format) {
        case "date":
            return {content: date(), minLength: 10, maxLength: 10};
        case "time":
        case "iso-time":
            return {content: time(), minLength: 9, maxLength: 21};
        case "date-time":
        case "iso-date-time":
            return {content: rule("fmt-date-time", `${date()} "T" ${time()}`), minLength: 20, maxLength: 32};
        case "uuid":
            return {content: rule("fmt-uuid", `${hex}{8} "-" ${hex}{4} "-" ${hex}{4} "-" ${hex}{4} "-" ${hex}{12}`), minLength: 36, maxLength: 36};
        case "ipv4":
            return {content: rule("fmt-ipv4", `${octet()} "." ${octet()} "." ${octet()} "." ${octet()}`), minLength: 7, maxLength: 15};
        case "ipv6":
            return {content: rule("fmt-ipv6", `${hex}{1,4} (":" ${hex}{1,4}){7}`), minLength: 15, maxLength: 39};
        case "hostname":
            return {content: hostname(), minLength: 1, maxLength: 191};
        case "email": {
            const atom = "[a-zA-Z0-9_+-]{1,32}";
            return {content: rule("fmt-email", `${atom} ("." ${atom}){0,2} "@" ${label()} ("." ${label()}){1,2}`), minLength: 5, maxLength: 290};
        }
        case "uri":
        case "uri-reference":
            return {content: uri(), minLength: 8, maxLength: 2000};
        case "url": {
            const word = "[a-z0-9]{1,30}";
            return {
                content: rule(
                    "fmt-url",
                    `("http" | "https") "://" ${word} ("-" ${word}){0,3} ("." ${word} ("-" ${word}){0,3}){0,3} "." [a-z]{2,6} ("/" ${pchar()}{0,32}){0,8}`
                ),
                minLength: 12,
                maxLength: 2000
            };
        }
        case "duration":
            return {content: rule("fmt-duration", `"P" [0-9]{1,4} [YMWD] | "PT" [0-9]{1,4} [HMS]`), minLength: 3, maxLength: 7};
        case "json-pointer":
            return {content: rule("fmt-json-pointer", `("/" ([a-zA-Z0-9_.-] | "~0" | "~1"){0,32}){0,8}`), minLength: 0, maxLength: 300};
        case "byte":
            return {content: rule("fmt-byte", `([A-Za-z0-9+/]{4}){0,64} ([A-Za-z0-9+/]{2} "==" | [A-Za-z0-9+/]{3} "=")?`), minLength: 0, maxLength: 260};
        default:
            return undefined;
    }
}
