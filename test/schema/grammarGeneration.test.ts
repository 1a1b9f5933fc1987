import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {getLlama, LlamaCompletion, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel} from "node-llama-cpp";
import {AnswerSchema} from "../../src/schema/AnswerSchema.js";
import {compileSchemaGrammar, type CompileSchemaGrammarOptions} from "../../src/schema/grammar/compileSchemaGrammar.js";
import {generatedModel, repoRoot, sharedDir, storiesModel} from "../support/fixtures.js";

/**
 * Grammar-constrained generation with the real engine on the two test models: a generated 1M model (random
 * weights: it never closes a string or an array by itself, hence the grammar-only caps below) and the trained
 * stories260K. Greedy decoding, so every run is the same.
 */
const bounds: CompileSchemaGrammarOptions = {maxStringLength: 16, maxItems: 2};
const maxTokens = 2048;
const fixtures = path.join(sharedDir, "fixtures", "jsonschemabench");
/** Needs the shared stories260K model and JSONSchemaBench fixtures. */
const hasShared = fs.existsSync(fixtures) && fs.existsSync(storiesModel);
const explained = (
    JSON.parse(fs.readFileSync(path.join(repoRoot, "test", "schema", "jsonschemabench-explained.json"), "utf8")) as {schemas: Record<string, string>}
).schemas;

type Engine = {model: LlamaModel; context: LlamaContext; sequence: LlamaContextSequence; completion: LlamaCompletion};
let llama: Llama;
const engines = new Map<string, Engine>();

beforeAll(async () => {
    if (!hasShared) return;
    llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error, build: "never", skipDownload: true, progressLogs: false});
    for (const [name, file] of [
        ["generated 1M", await generatedModel()],
        ["stories260K", storiesModel]
    ] as const) {
        const model = await llama.loadModel({modelPath: file});
        const context = await model.createContext({contextSize: maxTokens + 64, threads: 1});
        const sequence = context.getSequence();
        engines.set(name, {model, context, sequence, completion: new LlamaCompletion({contextSequence: sequence})});
    }
});
afterAll(async () => {
    for (const {context, model} of engines.values()) {
        await context.dispose();
        await model.dispose();
    }
});

async function generate(engine: Engine, gbnf: string, tokens = maxTokens) {
    const grammar = await llama.createGrammar({grammar: gbnf});
    await engine.sequence.clearHistory();
    return await engine.completion.generateCompletionWithMeta("JSON:", {grammar, maxTokens: tokens, temperature: 0});
}

describe.runIf(hasShared).each(["generated 1M", "stories260K"])("generation on %s", (name) => {
    test("ends by itself with end-of-generation once the value is complete, without trailing whitespace", async () => {
        const engine = engines.get(name)!;
        const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "demo", "schema.json"), "utf8")) as Record<string, unknown>;
        const result = await generate(engine, compileSchemaGrammar(schema).gbnf, 256);
        expect(result.metadata.stopReason).toBe("eogToken");
        expect(result.response).toBe(result.response.trim());
        const check = AnswerSchema.fromJsonSchema(schema, "demo schema").check(result.response);
        expect(check).toMatchObject({ok: true});
        const confidence = (check as {value: {confidence: number}}).value.confidence;
        expect(confidence >= 0 && confidence <= 1).toBe(true);
    });

    test("every 10th JSONSchemaBench fixture schema gets a valid answer (except the explained ones)", async () => {
        const engine = engines.get(name)!;
        const unexpected: string[] = [];
        let answered = 0;
        for (const set of ["Glaiveai2K", "Github_easy", "Github_medium"]) {
            const files = fs
                .readdirSync(path.join(fixtures, set))
                .filter((f) => f.endsWith(".json"))
                .sort()
                .filter((_, i) => i % 10 === 0);
            for (const file of files) {
                const id = `${set}/${file}`;
                const schema = JSON.parse(fs.readFileSync(path.join(fixtures, set, file), "utf8")) as Record<string, unknown>;
                let outcome: string;
                try {
                    const answer = AnswerSchema.fromJsonSchema(schema, id);
                    const result = await generate(engine, compileSchemaGrammar(schema, {...bounds, origin: id}).gbnf);
                    const check = answer.check(result.response);
                    outcome =
                        result.metadata.stopReason === "maxTokens"
                            ? "truncated at maxTokens"
                            : check.ok
                              ? "valid"
                              : `${check.reason} in ${result.response.slice(0, 400)}`;
                } catch (err) {
                    outcome = err instanceof Error ? err.message : String(err);
                }
                if (outcome === "valid") answered++;
                else if (explained[id] === undefined) unexpected.push(`${id}: ${outcome}`);
            }
        }
        expect(unexpected).toEqual([]);
        expect(answered).toBeGreaterThan(60);
    });
});
