import {afterAll, beforeAll} from "vitest";
import {getLlama, LlamaGrammarEvaluationState, LlamaLogLevel, type Llama, type LlamaGrammar, type LlamaModel} from "node-llama-cpp";
import {AnswerSchema} from "../../src/schema/AnswerSchema.js";
import {compileSchemaGrammar, type CompileSchemaGrammarOptions, type SchemaGrammar} from "../../src/schema/grammar/compileSchemaGrammar.js";
import {generatedModel} from "../support/fixtures.js";

/** node-llama-cpp's grammar check per token (what LlamaContext uses internally; not part of its public types). */
type GrammarBindings = {
    canBeNextTokenForGrammarEvaluationState(state: unknown, token: number): boolean;
    acceptGrammarEvaluationStateToken(state: unknown, token: number): void;
};

export type GrammarVerdict = {status: "complete"} | {status: "incomplete"} | {status: "rejected"; at: number};

/** A compiled schema grammar loaded into llama.cpp, checked byte by byte. */
export class LoadedGrammar {
    public readonly compiled: SchemaGrammar;
    public readonly grammar: LlamaGrammar;
    private readonly _harness: GrammarHarness;
    private readonly _schema: AnswerSchema;

    public constructor(harness: GrammarHarness, compiled: SchemaGrammar, grammar: LlamaGrammar, schema: AnswerSchema) {
        this._harness = harness;
        this.compiled = compiled;
        this.grammar = grammar;
        this._schema = schema;
    }

    /**
     * Feeds `text` to llama.cpp's grammar sampler as byte tokens: "rejected" at the first byte the grammar
     * forbids, "complete" when the whole text is accepted and end-of-generation is then allowed.
     */
    public check(text: string): GrammarVerdict {
        return this._harness.check(this.grammar, text);
    }

    /** Mismatches between the grammar and the expectations (empty when all hold); accepted texts must also pass ajv. */
    public mismatches(expect: {accept?: string[]; reject?: string[]}): string[] {
        const out: string[] = [];
        for (const text of expect.accept ?? []) {
            const verdict = this.check(text);
            if (verdict.status !== "complete")
                out.push(`should accept ${text} but ${verdict.status}${verdict.status === "rejected" ? ` at byte ${verdict.at}` : ""}`);
            const valid = this._schema.check(text);
            if (!valid.ok) out.push(`test expectation wrong: ${text} is not valid (${valid.reason})`);
        }
        for (const text of expect.reject ?? []) {
            const verdict = this.check(text);
            if (verdict.status === "complete") out.push(`should reject ${text} but accepts it`);
        }
        return out;
    }
}

/**
 * Loads the generated model's byte-level vocabulary (tokens 3..258 are the bytes 0x00..0xFF), so any text can be
 * fed to the real llama.cpp grammar machinery one byte per token.
 */
export class GrammarHarness {
    public readonly llama: Llama;
    public readonly model: LlamaModel;
    private readonly _bindings: GrammarBindings;

    private constructor(llama: Llama, model: LlamaModel) {
        this.llama = llama;
        this.model = model;
        this._bindings = (llama as unknown as {_bindings: {AddonSampler: GrammarBindings}})._bindings.AddonSampler;
    }

    public static async load(): Promise<GrammarHarness> {
        const llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error, build: "never", skipDownload: true, progressLogs: false});
        const model = await llama.loadModel({modelPath: await generatedModel(), vocabOnly: true});
        if (model.detokenize([3 + 0x61] as unknown as Parameters<LlamaModel["detokenize"]>[0]) !== "a")
            throw new Error("the generated vocabulary has no byte tokens at 3..258");
        return new GrammarHarness(llama, model);
    }

    /**
     * Compiles `schema`, loads the grammar into llama.cpp (which throws on invalid GBNF). With "flexible" spacing unless
     * the options say otherwise: the keyword tests write their JSON compact or spaced; canonical spacing (the
     * default airlabel runs with) has tests of its own.
     */
    public async compile(schema: Record<string, unknown> | boolean, options: CompileSchemaGrammarOptions = {}): Promise<LoadedGrammar> {
        const compiled = compileSchemaGrammar(schema, {spacing: "flexible", ...options});
        const grammar = await this.llama.createGrammar({grammar: compiled.gbnf});
        return new LoadedGrammar(this, compiled, grammar, AnswerSchema.fromJsonSchema(schema, "test schema"));
    }

    public check(grammar: LlamaGrammar, text: string): GrammarVerdict {
        const state = new LlamaGrammarEvaluationState({model: this.model, grammar});
        const handle = (state as unknown as {_state: unknown})._state;
        const bytes = Buffer.from(text, "utf8");
        for (let i = 0; i < bytes.length; i++) {
            const token = 3 + bytes[i]!;
            if (!this._bindings.canBeNextTokenForGrammarEvaluationState(handle, token)) return {status: "rejected", at: i};
            this._bindings.acceptGrammarEvaluationStateToken(handle, token);
        }
        const eos = this.model.tokens.eos;
        if (eos !== null && this._bindings.canBeNextTokenForGrammarEvaluationState(handle, eos)) return {status: "complete"};
        return {status: "incomplete"};
    }

    /** Whether, after `text`, the grammar allows this byte next. */
    public allowsNextByte(grammar: LlamaGrammar, text: string, byte: number): boolean {
        const state = new LlamaGrammarEvaluationState({model: this.model, grammar});
        const handle = (state as unknown as {_state: unknown})._state;
        for (const b of Buffer.from(text, "utf8")) this._bindings.acceptGrammarEvaluationStateToken(handle, 3 + b);
        return this._bindings.canBeNextTokenForGrammarEvaluationState(handle, 3 + byte);
    }

    public async dispose(): Promise<void> {
        await this.model.dispose();
    }
}

/**
 * One GrammarHarness for the calling test file: loaded before its tests (beforeAll), disposed after them (afterAll).
 * Call at the top level of a test file.
 */
export function useGrammarHarness(): Pick<GrammarHarness, "compile" | "allowsNextByte"> {
    let harness: GrammarHarness | undefined;
    beforeAll(async () => {
        harness = await GrammarHarness.load();
    });
    afterAll(async () => {
        await harness?.dispose();
    });
    const loaded = (): GrammarHarness => {
        if (harness === undefined) throw new Error("the grammar harness is not loaded: use it inside a test");
        return harness;
    };
    return {
        compile: async (schema, options) => await loaded().compile(schema, options),
        allowsNextByte: (grammar, text, byte) => loaded().allowsNextByte(grammar, text, byte)
    };
}
