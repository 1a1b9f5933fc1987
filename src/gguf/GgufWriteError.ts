import {AirlabelError} from "../AirlabelError.js";

/**
 * Raised when a GGUF file cannot be written: the writer was used out of order
 * (tensor data before the header, a tensor's data of the wrong length, ...) or the file system failed.
 * The message names the file and, where there is one, the tensor or metadata key at fault.
 */
export class GgufWriteError extends AirlabelError {
    public constructor(message: string, options: {cause?: unknown} = {}) {
        super(message, options);
    }
}
