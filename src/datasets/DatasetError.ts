import {AirlabelError} from "../AirlabelError.js";

/**
 * Raised when a dataset cannot be found, opened or read: a missing file, an unsupported extension,
 * an empty glob, or a malformed record when invalid rows are not skipped.
 */
export class DatasetError extends AirlabelError {
    public constructor(message: string, options: {cause?: unknown} = {}) {
        super(message, options);
    }
}
