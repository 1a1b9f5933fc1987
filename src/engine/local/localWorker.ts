/**
 * Worker-thread entry (piscina). Each worker owns one model instance and one context with `parallel`
 * sequences, driven in lockstep by the driver `createDriver` picks (the native decode loop where the binary has
 * airlabel's steps patch): every decode step carries every active sequence, and a finished sequence takes the next
 * waiting row at the following step (continuous batching).
 */
import os from "node:os";
import {workerData} from "node:worker_threads";
import type {ChatWrapper, Llama, LlamaGrammar, LlamaModel} from "node-llama-cpp";
import {answerHooksFor} from "../../hooks/answerHooksFor.js";
import {DEFAULT_HOOK_TIMEOUT_MS, type LoadedHooks} from "../../hooks/Hooks.js";
import {loadHooks} from "../../hooks/loadHooks.js";
import {AnswerSchema} from "../../schema/AnswerSchema.js";
import {hasDecodeThread} from "../../llama/decodeThreadSupport.js";
import {createDriver} from "./createDriver.js";
import {createWorkerContext} from "./createWorkerContext.js";
import {kvUnifiedFor} from "./kvUnifiedFor.js";
import {chatWrapperFor, formatPrompt} from "../../llama/formatPrompt.js";
import {describeLlama, loadLlama} from "../../llama/loadLlama.js";
import {generateValidated} from "../generateValidated.js";
import {placeArgmax} from "./placeArgmax.js";
import {prepareGrammarMasks} from "./prepareGrammarMasks.js";
import {warmGrammarMasks} from "./warmGrammarMasks.js";
import type {GenerationDriver} from "./GenerationRequest.js";
import {workerBatchSize} from "./placement/fitMemory.js";
import {claimPlacement, loadPlacedModel} from "./placement/loadPlacedModel.js";
import {samplingForAttempt} from "../samplingForAttempt.js";
import {StepProfileSlot} from "../StepProfile.js";
import {tokenizePrompt} from "../../llama/tokenizePrompt.js";
import type {EngineResult, EngineTask, WarmupResult} from "../EngineTask.js";
import type {StoppedTaskResult, WarmupTask, WorkerConfig} from "./WorkerProtocol.js";

type WorkerState = {
    llama: Llama;
    /** For the startup line: binary, backend, threads. */
    engine: WarmupResult;
    model: LlamaModel;
    driver: GenerationDriver;
    grammar: LlamaGrammar | undefined;
    answerSchema: AnswerSchema;
    wrapper: ChatWrapper | null;
    /** Texts that end an answer: the user's stop strings and the chat template's text triggers. */
    stopStrings: string[];
    /** The user's hooks module (validate/parse run here, where answers are checked), or null. */
    hooks: LoadedHooks | null;
};

const config = workerData as WorkerConfig;
let statePromise: Promise<WorkerState> | undefined;
// (workerData is null where this module is imported outside a worker: defaultThreads in tests)
const stopFlag = (workerData as WorkerConfig | null)?.stopFlag !== undefined ? new Int32Array(config.stopFlag!) : null;

/** Whether the run's stop grace period is over: the rows this worker holds are cut off. */
function cutOff(): boolean {
    return stopFlag !== null && Atomics.load(stopFlag, 0) === 1;
}

/** When the pool sets the stop flag, the driver rejects every generation it holds (each row then resolves as stopped). */
function disposeOnStop(driver: GenerationDriver): void {
    if (stopFlag === null) return;
    // Atomics.waitAsync (Node 16+) is not in TypeScript's ES2023 library
    const {waitAsync} = Atomics as unknown as {waitAsync(array: Int32Array, index: number, value: number): {value: Promise<string> | string}};
    void Promise.resolve(waitAsync(stopFlag, 0, 0).value).then(() => driver.dispose());
}

/**
 * llama.cpp threads per worker on CPU: all of its share of the cores when each context decodes on a thread of its
 * own (airlabel's host build; 2 cores, 85M F16, total tokens/s with 2 threads vs 1: 1 sequence 230 vs 166,
 * 8 sequences 491-557 vs 296, 32 sequences 690-728 vs 397). On a stock binary a single sequence keeps a core free
 * (127 with 2 threads vs 167 with 1). See bench/RESULTS.md. `--threads` or AIRLABEL_THREADS override it.
 */
export function defaultThreads(workers: number, parallel: number, decodeThread: boolean): number {
    const cores = os.availableParallelism();
    return Math.max(1, Math.floor((parallel > 1 || decodeThread ? cores : cores - 1) / workers));
}

/**
 * Whether the native loop goes on while JavaScript handles finished rows: on a GPU backend (the host is idle during a
 * decode), not on CPU (its JavaScript would take the cores the decode uses). `AIRLABEL_OVERLAP=1` / `0` sets it (to
 * measure on CPU the host time a GPU would wait for, or to compare).
 */
function overlapFor(llama: Llama): boolean {
    const setting = process.env.AIRLABEL_OVERLAP;
    if (setting === "1" || setting === "0") return setting === "1";
    return llama.gpu !== false;
}

async function loadState(): Promise<WorkerState> {
    const llama = await loadLlama(config.gpu);
    const model = await loadPlacedModel(llama, {
        modelPath: config.modelPath,
        gpuLayers: config.gpuLayers,
        placement: claimPlacement(config.placements, config.placementClaims)
    });
    const threads = config.threads ?? (llama.gpu === false ? defaultThreads(config.workers, config.parallel, hasDecodeThread(llama)) : undefined);
    const wrapper = chatWrapperFor(model, config.chatTemplate);
    // the part of every prompt known now (chat template head, system message, turns): whether one KV cache pays
    const sharedTokens = tokenizePrompt(model, formatPrompt(wrapper, config.system, "", config.turns)).length;
    // (JavaScript's loop, AIRLABEL_DRIVER=lockstep, shares none: one KV cache would only cost it)
    const sharePrefix = config.sharePrefix !== false && process.env.AIRLABEL_DRIVER !== "lockstep";
    const {context, kvUnified} = await createWorkerContext(
        model,
        {
            contextSize: config.contextSize,
            sequences: config.parallel,
            // a whole step (every sequence's next token, plus new prompts) fits one batch where memory allows
            batchSize: workerBatchSize(config.contextSize, config.parallel),
            // llama.cpp's own default: flash attention where the backend supports it (measured on CPU, 85M F16, 1 thread:
            // 1 sequence 125 -> 162 total tokens/s, 8 sequences 248 -> 292)
            flashAttention: "auto",
            ...(threads !== undefined ? {threads} : {})
        },
        kvUnifiedFor({sharePrefix, parallel: config.parallel, sharedTokens, contextSize: config.contextSize})
    );
    const answerSchema = config.schema === null ? AnswerSchema.freeText() : AnswerSchema.fromJsonSchema(config.schema, config.schemaOrigin);
    // airlabel's own JSON Schema -> GBNF compiler: the grammar ends with the JSON value, so a finished answer can
    // only be followed by end-of-generation
    const grammar = config.grammar === null ? undefined : await llama.createGrammar({grammar: config.grammar});
    if (grammar !== undefined) {
        prepareGrammarMasks(context);
        warmGrammarMasks(model, grammar);
    }
    const stopStrings = [
        ...config.generation.stop,
        ...formatPrompt(wrapper, config.system, "")
            .stopTriggers.map((trigger) => trigger.tokenize(model.tokenizer, "trimLeadingSpace"))
            // a trigger that is one end-of-generation token is already a stop
            .filter((tokens) => !(tokens.length === 1 && model.isEogToken(tokens[0])))
            .map((tokens) => model.detokenize(tokens, true))
            .filter((text) => text.length > 0)
    ];
    const hooks = config.hooks !== undefined ? await loadHooks(config.hooks) : null;
    const driver = createDriver(
        {
            context,
            ...(config.stepProfile !== undefined ? {profile: new StepProfileSlot(config.stepProfile)} : {}),
            overlap: overlapFor(llama),
            jumpForward: config.jumpForward !== false,
            sharePrefix
        },
        {timeLimits: config.rowTimeoutMs !== undefined, logprobs: config.confidence === true}
    );
    disposeOnStop(driver);
    const argmax = placeArgmax({llama, model, context, driver, ...(config.argmax !== undefined ? {argmax: config.argmax} : {})});
    const described = describeLlama(llama, threads);
    const notes = [...(argmax === "graph" ? ["greedy argmax in the graph"] : []), ...(kvUnified ? ["one KV cache for all sequences"] : [])];
    return {
        llama,
        engine: notes.length > 0 ? {...described, engine: [described.engine, ...notes].join(", ")} : described,
        model,
        driver,
        grammar,
        answerSchema,
        wrapper,
        stopStrings,
        hooks
    };
}

export default async function generateRow(task: EngineTask | WarmupTask): Promise<EngineResult | WarmupResult | StoppedTaskResult> {
    statePromise ??= loadState();
    const state = await statePromise;
    if ("warmup" in task) return state.engine;
    if (cutOff()) return {idx: task.idx, stopped: true};
    try {
        return await generateAnswer(state, task);
    } catch (err) {
        // the driver rejected the generations it held because the stop's grace period ended
        if (cutOff()) return {idx: task.idx, stopped: true};
        throw err;
    }
}

/** One row's answer: its prompt formatted and tokenized, then generated and validated with retries. */
async function generateAnswer(state: WorkerState, task: EngineTask): Promise<EngineResult> {
    const prompt = tokenizePrompt(state.model, formatPrompt(state.wrapper, task.system ?? config.system, task.prompt, task.turns ?? config.turns));
    // task.row arrived by postMessage: it is already this row's own copy
    const hooks = answerHooksFor(state.hooks, task.row ?? {}, config.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS, config.oneToMany === true);
    const gen = config.generation;
    return await generateValidated({
        idx: task.idx,
        answerSchema: state.answerSchema,
        retriesInvalid: config.retriesInvalid,
        maxTokens: gen.maxTokens,
        promptTokens: prompt.length,
        ...(hooks !== undefined ? {hooks} : {}),
        ...(config.oneToMany === true ? {oneToMany: true} : {}),
        ...(config.rowTimeoutMs !== undefined ? {timeLimitMs: config.rowTimeoutMs} : {}),
        ...(config.confidence === true ? {confidence: true} : {}),
        ...(config.samples !== undefined ? {samples: config.samples} : {}),
        attempt: async (attempt, timeLimitMs, sample) => {
            const output = await state.driver.generate({
                tokens: prompt,
                maxTokens: gen.maxTokens,
                ...samplingForAttempt(gen, task.idx, attempt, task.seed, sample),
                repeatPenalty: gen.repeatPenalty,
                ...(config.params !== undefined ? {params: config.params} : {}),
                ...(state.grammar !== undefined ? {grammar: state.grammar} : {}),
                stopStrings: state.stopStrings,
                ignoreEos: gen.ignoreEos && state.grammar === undefined,
                ...(timeLimitMs !== undefined ? {timeLimitMs} : {}),
                ...(config.confidence === true ? {logprobs: true} : {})
            });
            return {
                text: output.text,
                finishReason: output.finishReason,
                promptTokens: null,
                generatedTokens: output.generatedTokens,
                firstTokenMs: output.firstTokenMs,
                generationMs: output.generationMs,
                evaluatedPromptTokens: output.evaluatedPromptTokens,
                ...(output.tokenLogprobs !== undefined ? {tokenLogprobs: output.tokenLogprobs} : {})
            };
        }
    });
}
