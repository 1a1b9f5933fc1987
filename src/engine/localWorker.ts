/**
 * Worker-thread entry (piscina). Each worker owns one model instance and one context with `parallel`
 * sequences; piscina runs up to `parallel` tasks at once in it, each on its own sequence, so a finished
 * sequence takes the next row at once (continuous batching).
 */
import os from "node:os";
import {workerData} from "node:worker_threads";
import {getLlama, LlamaCompletion, LlamaLogLevel, type ChatWrapper, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaGrammar, type LlamaModel} from "node-llama-cpp";
import {AnswerSchema} from "../schema/AnswerSchema.js";
import {chatWrapperFor, formatPrompt} from "./formatPrompt.js";
import {samplingForAttempt} from "./samplingForAttempt.js";
import type {WorkerConfig, WorkerResult, WorkerTask} from "./WorkerProtocol.js";

type WorkerState = {
    llama: Llama,
    model: LlamaModel,
    context: LlamaContext,
    freeSequences: {sequence: LlamaContextSequence, completion: LlamaCompletion}[],
    grammar: LlamaGrammar | undefined,
    answerSchema: AnswerSchema,
    wrapper: ChatWrapper | null
};

const config = workerData as WorkerConfig;
let statePromise: Promise<WorkerState> | undefined;

/** On CPU, llama.cpp's spinning threads must leave a core to Node (measured on 2 cores: 1 thread 36 ms per 100 tokens, 2 threads 1.8 s). */
export function defaultThreads(workers: number): number {
    const cores = os.availableParallelism();
    return Math.max(1, Math.floor((cores - 1) / workers));
}

async function loadState(): Promise<WorkerState> {
    const llama = await getLlama({gpu: config.gpu === "auto" ? "auto" : config.gpu === "cpu" ? false : config.gpu, logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath: config.modelPath, gpuLayers: config.gpuLayers});
    const threads = config.threads ?? (llama.gpu === false ? defaultThreads(config.workers) : undefined);
    const context = await model.createContext({
        contextSize: config.contextSize,
        sequences: config.parallel,
        ...(threads !== undefined ? {threads} : {})
    });
    const answerSchema = config.schema === null ? AnswerSchema.freeText() : AnswerSchema.fromJsonSchema(config.schema, config.schemaOrigin);
    const grammar = config.schema === null || typeof config.schema === "boolean"
        ? undefined
        : await llama.createGrammarForJsonSchema(config.schema as Parameters<Llama["createGrammarForJsonSchema"]>[0]);
    const freeSequences = [];
    for (let i = 0; i < config.parallel; i++) {
        const sequence = context.getSequence();
        freeSequences.push({sequence, completion: new LlamaCompletion({contextSequence: sequence})});
    }
    return {llama, model, context, freeSequences, grammar, answerSchema, wrapper: chatWrapperFor(model, config.chatTemplate)};
}

export default async function generateRow(task: WorkerTask): Promise<WorkerResult> {
    statePromise ??= loadState();
    const state = await statePromise;
    const slot = state.freeSequences.pop();
    if (slot === undefined) throw new Error("airlabel internal error: more concurrent tasks than sequences");
    try {
        return await generateWithRetries(state, slot.completion, task);
    } finally {
        state.freeSequences.push(slot);
    }
}

/**
 * node-llama-cpp's JSON-schema grammar forces four newlines after the JSON value and stops on them; those
 * tokens are not part of the answer, so they do not count against `maxTokens`.
 */
const grammarTerminatorTokens = 4;

async function generateWithRetries(state: WorkerState, completion: LlamaCompletion, task: WorkerTask): Promise<WorkerResult> {
    const {text, stopTriggers} = formatPrompt(state.wrapper, config.system, task.prompt);
    const promptTokens = text.tokenize(state.model.tokenizer).length;
    const gen = config.generation;
    let completionTokens = 0;
    let response = "";
    let finishReason: "stop" | "length" = "stop";
    let reason = "";
    const maxAttempts = state.answerSchema.isFreeText ? 1 : 1 + config.retriesInvalid;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const sampling = samplingForAttempt(gen, task.idx, attempt);
        const result = await completion.generateCompletionWithMeta(text, {
            maxTokens: gen.maxTokens + (state.grammar !== undefined ? grammarTerminatorTokens : 0),
            temperature: sampling.temperature,
            topP: sampling.topP,
            topK: sampling.topK,
            minP: sampling.minP,
            seed: sampling.seed,
            ...(gen.repeatPenalty !== 1 ? {repeatPenalty: {penalty: gen.repeatPenalty}} : {repeatPenalty: false}),
            ...(state.grammar !== undefined ? {grammar: state.grammar} : {}),
            customStopTriggers: [...stopTriggers, ...gen.stop],
            onToken(tokens) {
                completionTokens += tokens.length;
            }
        });
        response = result.response;
        finishReason = result.metadata.stopReason === "maxTokens" ? "length" : "stop";
        if (state.answerSchema.isFreeText)
            return {idx: task.idx, ok: true, annotation: response, response, finishReason, promptTokens, completionTokens, attempts: attempt + 1, reason: null};
        if (finishReason === "length") {
            reason = `answer truncated at maxTokens (${gen.maxTokens}); raise --max-tokens`;
            continue;
        }
        const check = state.answerSchema.check(response);
        if (check.ok)
            return {idx: task.idx, ok: true, annotation: check.value, response, finishReason, promptTokens, completionTokens, attempts: attempt + 1, reason: null};
        reason = check.reason;
    }
    return {
        idx: task.idx, ok: false, annotation: null, response, finishReason, promptTokens, completionTokens, attempts: maxAttempts,
        reason: `${reason} (after ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"})`
    };
}
