import {AirlabelError} from "../AirlabelError.js";

/**
 * Raised when the engine fails as a whole: a worker could not load llama.cpp, the model or its context (no binary
 * for the backend, a model the binary cannot read, too little memory), or a native error. An error thrown in a worker
 * arrives as a plain Error; this keeps its first line, which names what failed.
 */
export class EngineError extends AirlabelError {
    /** An EngineError whose message is `cause`'s first line (the worker's own words). */
    public static fromWorker(cause: unknown): EngineError {
        const message = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!.trim();
        return new EngineError(message.length > 0 ? message : "a worker could not load llama.cpp or the model", {cause});
    }
}
