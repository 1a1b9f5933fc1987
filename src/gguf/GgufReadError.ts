import {AirlabelError} from "../AirlabelError.js";

/**
 * Raised when a GGUF file's metadata cannot be read: the file is missing, not GGUF, of an unsupported version, or
 * damaged. The message names the file and the byte where reading stopped.
 */
export class GgufReadError extends AirlabelError {
    public constructor(message: string, options: {cause?: unknown} = {}) {
        super(message, options);
    }
}
