import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {annotate} from "../../src/pipeline/annotate.js";
import {readOutput} from "../../src/output/readOutput.js";
import {jobFixture} from "../support/fixtures.js";

// A free-text field and a free array: the generated model (random weights) never closes them by itself.
const schema = {
    type: "object",
    properties: {summary: {type: "string"}, tags: {type: "array", items: {type: "string", maxLength: 4}}},
    required: ["summary", "tags"],
    additionalProperties: false
};
const rows = Array.from({length: 6}, (_, i) => ({text: `row ${i}`}));

let model: string;
let dir: string;
let input: string;
beforeAll(async () => {
    ({model, dir, input} = await jobFixture(rows));
});

describe("grammar caps (--grammar-max-string-length, --grammar-max-items)", () => {
    test("without caps the generated model runs out of tokens; with them every answer is valid and within the caps", async () => {
        const base = {input, model, template: "{text}", schema, maxTokens: 48, parallel: 3, retriesInvalid: 0};
        const uncapped = await annotate({...base, output: path.join(dir, "uncapped")});
        expect(uncapped.okRows, "a random model does not end a free string within 48 tokens").toBe(0);
        expect((await readOutput(path.join(dir, "uncapped"))).errors.every((error) => String(error.reason).includes("max"))).toBe(true);

        const capped = await annotate({...base, output: path.join(dir, "capped"), grammarMaxStringLength: 8, grammarMaxItems: 2});
        expect(capped).toMatchObject({okRows: 6, failedRows: 0, complete: true});
        for (const row of (await readOutput(path.join(dir, "capped"))).rows) {
            const answer = row.annotation as {summary: string; tags: string[]};
            expect(answer.summary.length).toBeLessThanOrEqual(8);
            expect(answer.tags.length).toBeLessThanOrEqual(2);
        }
    });

    test("the caps are part of the run's identity: changing them on a finished run is refused, naming them", async () => {
        const options = {
            input,
            model,
            template: "{text}",
            schema,
            maxTokens: 48,
            parallel: 3,
            output: path.join(dir, "identity"),
            grammarMaxStringLength: 8,
            grammarMaxItems: 2
        };
        await annotate(options);
        await expect(annotate({...options, grammarMaxStringLength: 12})).rejects.toThrow(/grammarCaps/u);
    });
});
