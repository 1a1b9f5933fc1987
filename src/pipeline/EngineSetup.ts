import type {ChatMessage} from "../chat/ChatMessage.js";
import type {Engine} from "../engine/Engine.js";
import type {WarmupResult} from "../engine/EngineTask.js";
import type {LoadedHooks} from "../hooks/Hooks.js";
import type {ModelFileInfo} from "../model/checkModelFile.js";
import type {ResolvedAnnotateOptions} from "../options/validateAnnotateOptions.js";
import type {AnswerSchema} from "../schema/AnswerSchema.js";

/**
 * The run's backend, resolved once before the output dir is taken (see `resolveEngineSetup`): everything
 * `annotate()` does differently for the local llama.cpp engine and an OpenAI-compatible server.
 */
export type EngineSetup = {
    /** Which engine runs: "local" or "openai" (vllm included). */
    readonly backend: "local" | "openai";
    /** Spread into the prepare stage's options: a remote backend's API root (nothing locally). */
    readonly prepareOptions: {remoteBaseUrl?: string};
    /** Spread into the manifest's meta after the common entries: which server answered (nothing locally). */
    readonly manifestMeta: Record<string, unknown>;
    /** Sequences per worker (local) or concurrent requests (openai) reported when no row is left to generate. */
    readonly parallel: number;
    /** The model name recorded with each row. */
    modelName(modelFile: ModelFileInfo): string;
    /** Before any model loads, once there are rows to generate: how the engine will run (local: fitted to memory). */
    plan(contextSize: number): Promise<EnginePlan>;
};

/** How the engine of a run will run, decided before it starts (see {@link EngineSetup.plan}). */
export type EnginePlan = {
    /** Sequences per worker (local) or concurrent requests (openai). */
    readonly parallel: number;
    /** Lines for the run's log before the engine starts: placement and memory (local). */
    readonly notes: readonly string[];
    /** Creates the engine; it loads nothing before `ready()`. Call once. */
    createEngine(): Engine;
    /** The run's startup line once the engine is ready. */
    readyLine(loaded: WarmupResult): string;
    /** HTTP requests sent so far, retries included, and the retries among them (openai; zeros locally). */
    requestStats(): {requests: number; retries: number};
};

/** What both backends' setups start from. */
export type EngineSetupOptions = {
    resolved: ResolvedAnnotateOptions;
    answerSchema: AnswerSchema;
    /** The user's hooks module; null for none. */
    hooks: LoadedHooks | null;
    /** The few-shot turns before each row's prompt (see fewShotExamples); empty for none. */
    exampleTurns: readonly ChatMessage[];
    log: (line: string) => void;
};
