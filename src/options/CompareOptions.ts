import type {AnnotateOptions, GenerationOptions} from "./AnnotateOptions.js";
import type {BackendOptions} from "./BackendOptions.js";

/** One model of a comparison with its own settings (they override the run's); a plain string is a model path with the run's settings. */
export type CompareModelSpec = BackendOptions &
    GenerationOptions &
    Pick<AnnotateOptions, "parallel" | "workers" | "threads" | "gpu" | "gpuLayers" | "contextSize"> & {
        /** Short, filesystem-safe name for its output dir `models/<name>/` and its answer column `response_<name>`. Defaults to the file name without `.gguf` (for a server model, the part after the last `/`), made safe and unique. */
        name?: string;
        /** GGUF file, or the server's model name with the openai backend. Required. */
        model: string;
    };

/**
 * Options of a multi-model run (`airlabel run --model a.gguf --model b.gguf`, `models:` in a job file): the
 * options of `annotate()` without `model`, plus the models, run one after another on the same rows.
 */
export type CompareOptions = Omit<AnnotateOptions, "model"> & {
    /** The models to compare, each a path/name or a spec with its own backend and sampling settings. Required (at least one). */
    models: (string | CompareModelSpec)[];
};
