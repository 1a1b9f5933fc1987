import path from "node:path";
import {describe, expect, test} from "vitest";
import {optionEffects, RunIdentity, runIdentity, type OptionEffect} from "../../src/options/runIdentity.js";
import {validateAnnotateOptions} from "../../src/options/validateAnnotateOptions.js";
import {specMismatchNote} from "../../src/handoff/loadAnswerSpec.js";
import {skipKeyOf} from "../../src/pipeline/skipKeyOf.js";
import {generatedModel, storiesModel, tempDir, writeJsonl} from "../support/fixtures.js";

// One list says what each option changes; the manifest identity (resume), the skip key (compare and jobs), the
// prepared cache key and the answer schema's hash (hand-off) all follow from it. A new option is added to the list
// once, and every key it must reach changes with it.

const facts = {inputHash: "ab".repeat(32), model: "model.gguf 1234 sha256 cd", hooks: null};
const prepareFacts = {files: [["in.jsonl", "ef".repeat(32)]] as [string, string][], model: facts.model, promptHook: undefined};

/** The four keys of a run with these options under this list. */
function keys(policy: RunIdentity, options: Record<string, unknown>) {
    const resolved = {...validateAnnotateOptions({input: "in.jsonl", model: "model.gguf", output: "out", choices: ["yes", "no"]}), ...options};
    const identity = policy.manifestIdentity(resolved, facts);
    return {
        identity: JSON.stringify(identity),
        skipKey: policy.skipKey(identity, resolved, facts.inputHash),
        cacheKey: policy.prepareCacheKey(resolved, prepareFacts),
        schemaHash: policy.answerSchemaHash(resolved)
    };
}

describe("a fake option added to the list", () => {
    // ("content" options enter through the facts they name: the real-file skip key test below)
    const reaches: Record<Exclude<OptionEffect, "content">, string[]> = {
        rows: ["identity", "skipKey", "cacheKey"],
        order: ["cacheKey"],
        extent: ["skipKey", "cacheKey"],
        schema: ["identity", "skipKey", "schemaHash"],
        answers: ["identity", "skipKey"],
        none: []
    };
    for (const [effect, expected] of Object.entries(reaches) as [OptionEffect, string[]][]) {
        test(`with effect "${effect}" changes ${expected.length > 0 ? expected.join(", ") : "no key"} when set`, () => {
            const policy = new RunIdentity({...optionEffects, fakeOption: effect});
            const without = keys(policy, {});
            const withIt = keys(policy, {fakeOption: 7});
            const changed = (Object.keys(without) as (keyof typeof without)[]).filter((name) => without[name] !== withIt[name]);
            expect(changed).toEqual(expected);
            // its value counts, not only its presence
            if (expected.length > 0)
                expect(keys(policy, {fakeOption: 8})[expected[0] as keyof typeof without]).not.toBe(withIt[expected[0] as keyof typeof without]);
        });
    }

    test("with effects rows and schema (say, an option that renders the schema into the prompt) changes all four", () => {
        const policy = new RunIdentity({...optionEffects, fakeOption: ["rows", "schema"]});
        const without = keys(policy, {});
        const withIt = keys(policy, {fakeOption: 7});
        for (const name of ["identity", "skipKey", "cacheKey", "schemaHash"] as const) expect(withIt[name], name).not.toBe(without[name]);
    });

    test("that is unset leaves every key as runs wrote it before the option existed", () => {
        expect(keys(new RunIdentity({...optionEffects, fakeOption: "rows"}), {})).toEqual(keys(runIdentity, {}));
    });
});

test("every real option reaches the keys its effect says", () => {
    const changedBy = (name: string, a: unknown, b: unknown) => {
        const first = keys(runIdentity, {[name]: a});
        const second = keys(runIdentity, {[name]: b});
        return (Object.keys(first) as (keyof typeof first)[]).filter((key) => first[key] !== second[key]);
    };
    expect(changedBy("template", "{text}", "Label: {text}")).toEqual(["identity", "skipKey", "cacheKey"]);
    expect(changedBy("idxColumn", undefined, "id")).toEqual(["identity", "skipKey", "cacheKey"]);
    expect(changedBy("sort", "longest", "shortest")).toEqual(["cacheKey"]);
    // --max-rows raised: the run goes on with the new rows (a step of a job runs again); with a shuffle it is another run
    expect(changedBy("maxRows", 10, 20)).toEqual(["skipKey", "cacheKey"]);
    expect(keys(runIdentity, {shuffleSeed: 1, maxRows: 10}).identity).not.toBe(keys(runIdentity, {shuffleSeed: 1, maxRows: 20}).identity);
    expect(changedBy("choices", ["yes", "no"], ["no", "yes"])).toEqual(["identity", "skipKey", "schemaHash"]);
    expect(changedBy("format", "jsonl", "parquet")).toEqual(["identity", "skipKey"]);
    expect(changedBy("parallel", 8, 64)).toEqual([]);
    expect(changedBy("concurrency", 8, 64)).toEqual([]);
    expect(changedBy("params", undefined, {presence_penalty: 0.5})).toEqual(["identity", "skipKey"]);
    expect(changedBy("params", {presence_penalty: 0.5}, {presence_penalty: 0.6})).toEqual(["identity", "skipKey"]);
    // the examples by content (a run holds a file's rows), in an entry of their own holding their hash
    expect(changedBy("examples", [{text: "a", answer: "yes"}], [{text: "a", answer: "no"}])).toEqual(["identity", "skipKey", "cacheKey"]);
    expect(changedBy("examplesAnswerColumn", undefined, "label")).toEqual(["identity", "skipKey", "cacheKey"]);
    expect(JSON.parse(keys(runIdentity, {examples: [{text: "a", answer: "yes"}]}).identity)).toMatchObject({
        examples: expect.stringMatching(/^[0-9a-f]{16}$/u)
    });
    // a one-to-many run is another run, whose prepared rows also reserve the item columns its readers add
    expect(changedBy("oneToMany", undefined, true)).toEqual(["identity", "skipKey", "cacheKey"]);
});

test("--one-to-many: false is a run without it; --retry-failed may not change it", () => {
    const without = runIdentity.manifestIdentity(keysBase(), facts);
    expect(runIdentity.manifestIdentity(validateAnnotateOptions({...keysBase(), oneToMany: false}), facts)).toEqual(without);
    const recorded = runIdentity.manifestIdentity(validateAnnotateOptions({...keysBase(), oneToMany: true}), facts);
    expect(recorded.options).toBe('{"oneToMany":true}');
    // the retry's identity keeps the flag as given, so comparing it with the run's finds the difference
    expect(runIdentity.retryIdentity(recorded, without).identity).toEqual(without);
});

test("--retry-failed may change the generation parameters: taken from the run, reported as a change", () => {
    const identityWith = (params: Record<string, unknown> | undefined) => runIdentity.manifestIdentity({...keysBase(), params}, facts);
    const recorded = identityWith({presence_penalty: 0.5});
    const {identity, changes} = runIdentity.retryIdentity(recorded, identityWith({presence_penalty: 1}));
    expect(identity).toEqual(recorded);
    expect(changes).toEqual(['params {"presence_penalty":0.5} -> {"presence_penalty":1}']);
    // set only now, or only before
    expect(runIdentity.retryIdentity(identityWith(undefined), identityWith({logit_bias: {"5": -100}})).identity).toEqual(identityWith(undefined));
    expect(runIdentity.retryIdentity(recorded, identityWith(undefined)).changes).toEqual(['params {"presence_penalty":0.5} -> none']);
});

function keysBase() {
    return validateAnnotateOptions({input: "in.jsonl", model: "model.gguf", output: "out", choices: ["yes", "no"]});
}

test("the hand-off commands hash --choices and --schema as the run's identity did", () => {
    const identity = keys(runIdentity, {});
    const recorded = (JSON.parse(identity.identity) as {schema: string}).schema;
    expect(specMismatchNote({choices: ["yes", "no"]}, recorded)).toBeUndefined();
    expect(specMismatchNote({schema: {type: "string", enum: ["yes", "no"]}}, recorded)).toBeUndefined();
    expect(specMismatchNote({choices: ["no", "yes"]}, recorded)).toMatch(/not the answer schema the run recorded/);
});

test("the skip key of real files: unchanged by speed options, changed by the input's content, none for stdin", async () => {
    const dir = tempDir();
    const input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "a"}, {text: "b"}]);
    const base = {input, model: storiesModel, output: path.join(dir, "out"), choices: ["yes", "no"]};
    const key = await skipKeyOf(base);
    expect(key).toMatch(/^[0-9a-f]{32}$/u);
    expect(await skipKeyOf({...base, parallel: 3, workers: 2, output: path.join(dir, "elsewhere")})).toBe(key);
    expect(await skipKeyOf({...base, temperature: 0.5})).not.toBe(key);
    writeJsonl(input, [{text: "a"}, {text: "c"}]);
    expect(await skipKeyOf(base)).not.toBe(key);
    expect(await skipKeyOf({...base, input: "-", inputFormat: "jsonl"})).toBeNull();
    expect(await skipKeyOf({...base, model: path.join(dir, "missing.gguf")})).toBeNull();
});

test("the skip key follows the examples file's content: a compare model or job step with edited examples runs again", async () => {
    const dir = tempDir();
    const input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "a"}, {text: "b"}]);
    const examples = writeJsonl(path.join(dir, "examples.jsonl"), [{text: "c", answer: "yes"}]);
    const base = {input, model: await generatedModel(), output: path.join(dir, "out"), choices: ["yes", "no"], examples};
    const key = await skipKeyOf(base);
    expect(key).toMatch(/^[0-9a-f]{32}$/u);
    // the file's rows given in memory are the same run
    expect(await skipKeyOf({...base, examples: [{text: "c", answer: "yes"}]})).toBe(key);
    writeJsonl(examples, [{text: "c", answer: "no"}]);
    expect(await skipKeyOf(base)).not.toBe(key);
    expect(await skipKeyOf({...base, examples: path.join(dir, "missing.jsonl")})).toBeNull();
});
