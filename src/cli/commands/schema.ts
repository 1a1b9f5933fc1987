import fs from "node:fs";
import type {Command} from "commander";
import {AirlabelError} from "../../AirlabelError.js";
import {AnswerSchema} from "../../schema/AnswerSchema.js";
import {compileSchemaGrammar, type SchemaGrammar} from "../../schema/grammar/compileSchemaGrammar.js";

/** Raised when the schema file cannot be read or is not JSON. */
export class SchemaFileError extends AirlabelError {}

type SchemaCheckFlags = {json?: boolean; gbnf?: boolean};

/** `airlabel schema check FILE`: validates a JSON Schema, compiles its grammar and says what decoding enforces. */
export function registerSchemaCommand(program: Command): void {
    const schema = program.command("schema").description("work with JSON Schemas for structured answers");
    schema
        .command("check")
        .description(
            "check that a file is a valid JSON Schema, compile it to a grammar, and list which keywords are enforced during decoding and which only by validation afterwards"
        )
        .argument("<schema.json>", "the JSON Schema file (drafts 04, 06, 07, 2019-09, 2020-12)")
        .option("--json", "print the report as JSON on stdout")
        .option("--gbnf", "print the compiled GBNF grammar on stdout instead of the report")
        .addHelpText(
            "after",
            `
Keywords are listed as JSON pointers into the schema (e.g. /properties/score/maximum).
  enforced:      the grammar guarantees them while the model writes
  validated only: the grammar cannot encode them (uniqueItems, if/then/else, some not/oneOf, ...); ajv checks each
                 answer and an invalid one is retried with different sampling
  ignored:       unknown keywords and unknown formats (ajv ignores them too)

Examples:
  $ airlabel schema check examples/demo/schema.json
  $ airlabel schema check schema.json --json
  $ airlabel schema check schema.json --gbnf > schema.gbnf`
        )
        .action((file: string, flags: SchemaCheckFlags) => {
            const value = readSchemaFile(file);
            AnswerSchema.fromJsonSchema(value, file);
            const started = performance.now();
            const grammar = compileSchemaGrammar(value, {origin: file});
            const compileMs = performance.now() - started;
            if (flags.gbnf === true) process.stdout.write(`${grammar.gbnf}\n`);
            else if (flags.json === true) process.stdout.write(`${JSON.stringify(schemaReport(file, grammar, compileMs))}\n`);
            else process.stdout.write(formatSchemaReport(file, grammar, compileMs));
        });
}

function readSchemaFile(file: string): Record<string, unknown> | boolean {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new SchemaFileError(`${file} ${code === "ENOENT" ? "not found" : `cannot be read (${code})`}; check the path`);
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new SchemaFileError(`${file}: invalid JSON (${err instanceof Error ? err.message : String(err)}); fix the file`);
    }
    if (typeof value !== "boolean" && (typeof value !== "object" || value === null || Array.isArray(value))) {
        throw new SchemaFileError(`${file}: a JSON Schema is an object or a boolean, not ${Array.isArray(value) ? "an array" : typeof value}; fix the file`);
    }
    return value as Record<string, unknown> | boolean;
}

function schemaReport(file: string, grammar: SchemaGrammar, compileMs: number) {
    return {
        schema: file,
        rules: grammar.rules,
        bytes: grammar.bytes,
        compileMs: Math.round(compileMs * 100) / 100,
        enforced: grammar.enforced,
        validatedOnly: grammar.validatedOnly,
        ignored: grammar.ignored,
        reasons: grammar.reasons
    };
}

/** The readable report `airlabel schema check` prints. */
function formatSchemaReport(file: string, grammar: SchemaGrammar, compileMs: number): string {
    const keywords = (pointers: string[]) => [...new Set(pointers.map((p) => p.slice(p.lastIndexOf("/") + 1)))].join(", ");
    const lines = [
        `schema          ${file}`,
        `grammar         ${grammar.rules} rules, ${grammar.bytes} bytes (compiled in ${compileMs.toFixed(1)} ms)`,
        `enforced        ${grammar.enforced.length} keyword${grammar.enforced.length === 1 ? "" : "s"}${grammar.enforced.length > 0 ? `: ${keywords(grammar.enforced)}` : ""}`
    ];
    for (const pointer of grammar.enforced) lines.push(`  ${pointer}`);
    lines.push(
        `validated only  ${grammar.validatedOnly.length === 0 ? "none: decoding enforces the whole schema" : `${grammar.validatedOnly.length} keyword${grammar.validatedOnly.length === 1 ? "" : "s"} (checked by ajv after decoding; an invalid answer is retried)`}`
    );
    for (const pointer of grammar.validatedOnly) lines.push(`  ${pointer}: ${grammar.reasons[pointer] ?? ""}`);
    if (grammar.ignored.length > 0) {
        lines.push(`ignored         ${grammar.ignored.length} (unknown to JSON Schema or to ajv: no effect)`);
        for (const pointer of grammar.ignored) lines.push(`  ${pointer}`);
    }
    return `${lines.join("\n")}\n`;
}
