import {AirlabelError} from "../AirlabelError.js";

/**
 * Raised when a worker could not load llama.cpp, the model or its context (no binary for the backend, a model the
 * binary cannot read, too little memory). The message is the worker's own first line, which names what failed.
 */
export class EngineLoadError extends AirlabelError {
    public constructor(cause: unknown) {
        const message = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!.trim();
        super(message.length > 0 ? message : "a worker could not load llama.cpp or the model", {cause});
    }
}
