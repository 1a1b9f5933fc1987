import fs from "node:fs";
import path from "node:path";
import {Ajv} from "ajv";
import {beforeAll, describe, expect, test} from "vitest";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {jobFixture, storiesModel} from "../support/fixtures.js";

const words = ["great kettle", "broken on arrival", "works fine I guess", "love it ❤️", 'terrible support, "never again"', "ok", "fast shipping\nbut loud"];
const rows = Array.from({length: 40}, (_, i) => ({id: `r${i}`, text: `${words[i % words.length]} #${i}`, stars: i % 5}));

/** A schema node-llama-cpp's grammar fully enforces, so every answer must be valid. */
const enforcedSchema = {
    type: "object",
    properties: {label: {enum: ["positive", "negative", "neutral"]}, sarcastic: {type: "boolean"}},
    required: ["label", "sarcastic"],
    additionalProperties: false
};

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows, "reviews.jsonl"));
});

function idxOf(records: Record<string, unknown>[]): number[] {
    return records.map((r) => r.idx as number).sort((a, b) => a - b);
}

describe("annotate (real engine, generated model)", () => {
    test("every row gets a schema-valid answer, exactly once, with its kept columns", async () => {
        const output = path.join(dir, "out-enforced");
        const result = await annotate({
            input,
            model,
            output,
            template: "Review: {text}\nStars: {stars}\nJSON:",
            schema: enforcedSchema,
            maxTokens: 40,
            parallel: 4,
            shardSize: 16
        });
        expect(result).toMatchObject({totalRows: 40, okRows: 40, failedRows: 0, complete: true, stopped: false});
        const out = await readOutput(output);
        expect(idxOf(out.rows)).toEqual(rows.map((_, i) => i));
        expect(out.errors).toEqual([]);
        const validate = new Ajv().compile(enforcedSchema);
        for (const row of out.rows) {
            expect(validate(row.annotation), JSON.stringify(row.annotation)).toBe(true);
            const source = rows[row.idx as number]!;
            expect(row).toMatchObject({id: source.id, text: source.text, stars: source.stars, finish_reason: "stop"});
            expect(row.completion_tokens).toBeGreaterThan(0);
            expect(row.prompt_tokens).toBeGreaterThan(0);
        }
        expect(JSON.parse(fs.readFileSync(path.join(output, "manifest.json"), "utf8"))).toMatchObject({complete: true});
    });

    test("a re-run resumes: committed rows are skipped and prepared rows come from the cache", async () => {
        const output = path.join(dir, "out-resume");
        const options = {input, model, output, template: "{text}", schema: enforcedSchema, maxTokens: 40, parallel: 2, shardSize: 5};
        const controller = new AbortController();
        const first = await annotate({
            ...options,
            signal: controller.signal,
            onProgress: (p) => {
                if (p.doneRows >= 6) controller.abort();
            }
        });
        expect(first.stopped).toBe(true);
        expect(first.complete).toBe(false);
        const partial = await readOutput(output);
        expect(partial.rows.length).toBe(first.doneRows);
        expect(new Set(idxOf(partial.rows)).size).toBe(partial.rows.length);

        const second = await annotate(options);
        expect(second.preparedFromCache).toBe(true);
        expect(second.resumedRows).toBe(first.doneRows);
        expect(second.doneRows).toBe(40 - first.doneRows);
        expect(second.complete).toBe(true);
        const out = await readOutput(output);
        expect(idxOf(out.rows)).toEqual(rows.map((_, i) => i));
    });

    test("changing the template against the same output dir is refused, naming the difference; overwrite starts over", async () => {
        const output = path.join(dir, "out-identity");
        await annotate({input, model, output, template: "{text}", choices: ["yes", "no"], maxTokens: 8, maxRows: 4});
        await expect(annotate({input, model, output, template: "Q: {text}", choices: ["yes", "no"], maxTokens: 8, maxRows: 4})).rejects.toThrow(/template/u);
        const again = await annotate({input, model, output, template: "Q: {text}", choices: ["yes", "no"], maxTokens: 8, maxRows: 4, overwrite: true});
        expect(again).toMatchObject({okRows: 4, resumedRows: 0, complete: true});
    });

    test("ranges are enforced while decoding; keywords the grammar cannot encode are validated, retried, then recorded as failed", async () => {
        const output = path.join(dir, "out-validated");
        const schema = {
            type: "object",
            properties: {
                score: {type: "integer", minimum: 3, maximum: 4},
                tags: {type: "array", items: {enum: ["a", "b", "c"]}, minItems: 2, maxItems: 2, uniqueItems: true}
            },
            required: ["score", "tags"],
            additionalProperties: false
        };
        const logs: string[] = [];
        const result = await annotate({
            input,
            model,
            output,
            template: "{text}",
            schema,
            maxTokens: 40,
            retriesInvalid: 2,
            parallel: 4,
            onLog: (line) => logs.push(line)
        });
        expect(logs.join("\n")).toMatch(/validated after decoding only.*\/properties\/tags\/uniqueItems/u);
        const out = await readOutput(output);
        expect(out.rows.length + out.errors.length).toBe(40);
        expect(result.okRows + result.failedRows).toBe(40);
        expect(idxOf([...out.rows, ...out.errors])).toEqual(rows.map((_, i) => i));
        const validate = new Ajv().compile(schema);
        for (const row of out.rows) expect(validate(row.annotation), JSON.stringify(row.annotation)).toBe(true);
        for (const error of out.errors) {
            // the grammar guarantees everything but uniqueness, so that is the only way an answer can fail
            expect(error.reason).toMatch(/must NOT have duplicate items.*\(after 3 attempts\)$/u);
            expect(error.attempts).toBe(3);
            expect(JSON.parse(error.response as string)).toMatchObject({score: expect.any(Number)});
        }
    });
});

describe("annotate (real engine, stories260K: real tokenizer, no chat template)", () => {
    test.runIf(fs.existsSync(storiesModel))("choices, parquet output, sorted by tokens", async () => {
        const output = path.join(dir, "out-stories");
        const result = await annotate({
            input,
            model: storiesModel,
            output,
            template: "Once upon a time, {text}. The mood was",
            choices: ["happy", "sad"],
            maxTokens: 8,
            format: "parquet",
            shardSize: 15,
            sort: "shortest"
        });
        expect(result).toMatchObject({totalRows: 40, okRows: 40, complete: true});
        const out = await readOutput(output);
        expect(idxOf(out.rows)).toEqual(rows.map((_, i) => i));
        for (const row of out.rows) expect(["happy", "sad"]).toContain(row.annotation);
        expect(fs.readdirSync(path.join(output, "data")).filter((f) => f.endsWith(".parquet")).length).toBe(3);
    });

    test.runIf(fs.existsSync(storiesModel))("free text with a token limit reports finish_reason length, arrow output", async () => {
        const output = path.join(dir, "out-free");
        await annotate({
            input,
            model: storiesModel,
            output,
            template: "{text}",
            maxTokens: 6,
            format: "arrow",
            maxRows: 10,
            temperature: 0.8,
            topK: 40,
            seed: 3
        });
        const out = await readOutput(output);
        expect(out.rows.length).toBe(10);
        for (const row of out.rows) {
            expect(typeof row.annotation).toBe("string");
            expect(["length", "stop"]).toContain(row.finish_reason);
            expect(row.completion_tokens as number).toBeLessThanOrEqual(6);
        }
        expect(out.rows.some((row) => row.finish_reason === "length")).toBe(true);
    });
});
