import type {ChatMessage} from "../../chat/ChatMessage.js";
import type {GenerationOptions, GpuChoice} from "../../options/AnnotateOptions.js";
import type {LocalSamplingParams} from "../../options/generationParams.js";
import type {WorkerPlacement} from "../../options/PlacementRequest.js";

/** Everything a worker needs to load its model instance and context; sent once as piscina `workerData`. */
export type WorkerConfig = {
    modelPath: string;
    gpu: GpuChoice;
    gpuLayers: number | "max" | "auto";
    /** Where greedy tokens are picked (see AnnotateOptions.argmax); absent: "auto". */
    argmax?: "auto" | "graph" | "host";
    /** Jump-forward of forced tokens in the native decode loop (see AnnotateOptions.jumpForward); absent: true. */
    jumpForward?: boolean;
    /** Shared prompt prefixes evaluated once and copied (see AnnotateOptions.sharePrefix); absent: true. */
    sharePrefix?: boolean;
    /** llama.cpp threads; null lets the worker pick (see `defaultThreads`). */
    threads: number | null;
    /** Context size per sequence. */
    contextSize: number;
    /** Sequences in the worker's context (= concurrent tasks per worker). */
    parallel: number;
    chatTemplate: "auto" | "none";
    system: string | undefined;
    /** The run's turns between the system message and each row's prompt (its few-shot examples); a row's own (see EngineTask.turns) replace them. Absent: none. */
    turns?: ChatMessage[];
    /** JSON Schema of the answer, or null for free text. */
    schema: Record<string, unknown> | boolean | null;
    schemaOrigin: string;
    /** The schema's GBNF grammar, compiled once by the caller (null for free text). */
    grammar: string | null;
    generation: Required<GenerationOptions>;
    /** The sampler settings `--param` gives (presence and frequency penalties, token biases); absent: none. */
    params?: LocalSamplingParams;
    retriesInvalid: number;
    /** Record each answer's confidence from its tokens' log-probabilities; absent: false. */
    confidence?: boolean;
    /** Answers drawn per row (self-consistency); absent: 1. */
    samples?: number;
    /** Worker count, to share CPU cores between them. */
    workers: number;
    /** One llama.cpp placement per worker (split mode, tensor split, main GPU, devices); absent = llama.cpp's defaults. */
    placements?: WorkerPlacement[];
    /** A 4-byte counter shared by the pool: each worker takes the next placement (see `claimPlacement`). */
    placementClaims?: SharedArrayBuffer;
    /** Where each worker writes its step profile (see StepProfile); absent: none is kept. */
    stepProfile?: SharedArrayBuffer;
    /** Absolute path of the user's hooks module (validate/parse run in the worker); absent: none. */
    hooks?: string;
    /** Time limit of one hook call. Absent: 30000 ms. */
    hookTimeoutMs?: number;
    /** A one-to-many run: each answer must be a list (see GenerateValidatedOptions.oneToMany). Absent: false. */
    oneToMany?: boolean;
    /** One row's time limit in milliseconds (generation time, retries included); absent: none. */
    rowTimeoutMs?: number;
    /** A 4-byte flag the pool sets (to 1) when the run's stop grace period ends: rows in flight are cut off (see StoppedTaskResult). */
    stopFlag?: SharedArrayBuffer;
};

/** A row the stop cut off in the worker (not answered, not failed): {@link LocalEngine} rejects it with RowStoppedError. */
export type StoppedTaskResult = {idx: number; stopped: true};

/** Sent once per worker before the clock starts: loads the model and context, generates nothing. */
export type WarmupTask = {warmup: true};
