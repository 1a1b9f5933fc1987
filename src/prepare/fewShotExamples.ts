import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {canonicalJson} from "../canonicalJson.js";
import type {ChatMessage} from "../chat/ChatMessage.js";
import {openDataset} from "../datasets/openDataset.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";
import {AnswerSchema} from "../schema/AnswerSchema.js";
import {PromptTemplate} from "./PromptTemplate.js";

/** Raised when the few-shot examples (`--examples`) cannot be read or one of them cannot be used; the message names the file and line. */
export class ExamplesError extends AirlabelError {}

/** The column holding each example's answer when `examplesAnswerColumn` is not given. */
export const DEFAULT_EXAMPLES_ANSWER_COLUMN = "answer";

/** What the few-shot turns are made from: the examples, the run's template, and its answer schema (how answers are written). */
export type FewShotOptions = Pick<AnnotateOptions, "examples" | "examplesAnswerColumn" | "schema" | "choices" | "template" | "templateOrigin">;

/** A run's few-shot examples, read and rendered. */
export type FewShot = {
    /** The examples' rows: the `examples` option's value once its file is read (the run identity and the recorded config hold these). */
    rows: Record<string, unknown>[];
    /** Per example, in order: a user turn (the example rendered with the template) and an assistant turn (its answer). */
    turns: ChatMessage[];
};

/** One example as read: its values, and where it came from for messages (`examples.jsonl line 3`). */
type ExampleRecord = {location: string; values: Record<string, unknown>};

/**
 * The run's fixed few-shot examples (`--examples FILE`, or rows given in memory), or null without any. Each example
 * is rendered with the run's template as a user turn; its answer column becomes the assistant turn, written as the
 * model is to answer: with an answer schema (`schema`, `choices`) its JSON text (canonical JSON: a string answer is
 * quoted), which must match the schema; for free text a string as it is, another value as canonical JSON. The file is
 * read with the input readers (JSONL, JSON, CSV, TSV, Parquet, Arrow). `promptHook` names a hooks module with a
 * `prompt()` hook, which replaces the template the examples need: refused.
 */
export async function fewShotExamples(options: FewShotOptions, promptHook: string | null): Promise<FewShot | null> {
    if (options.examples === undefined) return null;
    if (promptHook !== null)
        throw new ExamplesError(
            `--examples are rendered with the template, which the prompt() hook of ${path.basename(promptHook)} replaces; return a message list from prompt() for few-shot turns, or leave out --examples`
        );
    const column = options.examplesAnswerColumn ?? DEFAULT_EXAMPLES_ANSWER_COLUMN;
    const records = await readExamples(options.examples, column);
    const template = new PromptTemplate(options.template ?? "{text}", options.templateOrigin ?? "template");
    const jsonSchema = AnswerSchema.jsonSchemaOf(options);
    const answerSchema = jsonSchema === null ? null : AnswerSchema.fromJsonSchema(jsonSchema, options.choices !== undefined ? "--choices" : "schema");
    const turns: ChatMessage[] = [];
    for (const {location, values} of records) {
        if (!Object.hasOwn(values, column))
            throw new ExamplesError(
                `--examples ${location}: no "${column}" column; give each example its answer there, or name the answer's column with --examples-answer-column`
            );
        const answer = values[column];
        if (answer === null || (typeof answer === "string" && answer.trim() === ""))
            throw new ExamplesError(`--examples ${location}: the "${column}" column is empty; give each example its answer`);
        turns.push(
            {role: "user", content: template.render(values, location)},
            {role: "assistant", content: answerText(answer, answerSchema, location, column)}
        );
    }
    return {rows: records.map((record) => record.values), turns};
}

/** An example's answer as the model is to write it; refused when it does not match the answer schema. */
function answerText(answer: unknown, answerSchema: AnswerSchema | null, location: string, column: string): string {
    if (answerSchema === null) return typeof answer === "string" ? answer : canonicalJson(answer);
    const text = canonicalJson(answer);
    const check = answerSchema.check(text);
    if (!check.ok) {
        const why = check.reason.replace(/^answer does not match the schema: /u, "");
        const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
        throw new ExamplesError(
            `--examples ${location}: the "${column}" ${shown} does not match the run's answer schema (${why}); give the example an answer the schema accepts`
        );
    }
    return text;
}

/** The examples: rows given in memory, or a dataset file's rows (an unreadable row, a missing or empty file are refused). */
async function readExamples(source: string | Record<string, unknown>[], column: string): Promise<ExampleRecord[]> {
    if (Array.isArray(source)) {
        if (source.length === 0) throw new ExamplesError("options.examples is an empty list; give at least one example, or leave the option out");
        return source.map((values, i) => ({location: `examples row ${i + 1}`, values}));
    }
    const stat = await fs.stat(source).catch((err: NodeJS.ErrnoException) => err);
    if (stat instanceof Error)
        throw new ExamplesError(`--examples file ${source} ${stat.code === "ENOENT" ? "not found" : `cannot be read (${stat.code})`}; check the path`);
    if (!stat.isFile()) throw new ExamplesError(`--examples ${source} is not a file; give a .jsonl, .json or .csv file of examples`);
    const records: ExampleRecord[] = [];
    const dataset = await openDataset(source, {skipInvalidRows: true});
    for await (const record of dataset.rows()) {
        if ("error" in record) throw new ExamplesError(`--examples ${record.location}: ${record.error}; fix the example`);
        const big = bigIntField(record.values);
        // the run records its examples as JSON (run identity, manifest), which holds numbers as doubles
        if (big !== null)
            throw new ExamplesError(
                `--examples ${record.location}: ${big} is an integer beyond 2^53, which the run cannot record exactly; write it as a string`
            );
        records.push({location: record.location, values: record.values});
    }
    if (records.length === 0) throw new ExamplesError(`--examples file ${source} holds no examples; give one example per row, its answer in "${column}"`);
    return records;
}

/** The first field holding a `bigint` (an integer beyond 2^53 as the readers keep it), named ("id", "meta.size"); null when none does. */
function bigIntField(value: unknown, at = ""): string | null {
    if (typeof value === "bigint") return `"${at}"`;
    if (typeof value !== "object" || value === null) return null;
    for (const [key, item] of Object.entries(value)) {
        const found = bigIntField(item, at === "" ? key : `${at}.${key}`);
        if (found !== null) return found;
    }
    return null;
}
