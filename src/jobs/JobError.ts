import {AirlabelError} from "../AirlabelError.js";

/** Raised when a job's steps do not fit together (a repeated name, a filter without where, a step without a model; exit 2), or a step failed (its own exit code, the step named). */
export class JobError extends AirlabelError {
    public constructor(message: string, options: {exitCode?: number; cause?: unknown} = {}) {
        super(message, {exitCode: 2, ...options});
    }
}
