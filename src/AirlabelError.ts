/**
 * Base class of every error airlabel raises on purpose.
 *
 * Its message is one line that names the file/row/field at fault and says what to do.
 * The CLI prints `airlabel: <message>` for these and exits with `exitCode`; any other
 * error is a bug and is printed with its stack.
 */
export class AirlabelError extends Error {
    /** Process exit code the CLI uses for this error. */
    public readonly exitCode: number;

    public constructor(message: string, options: {exitCode?: number; cause?: unknown} = {}) {
        super(message, options.cause === undefined ? undefined : {cause: options.cause});
        this.name = new.target.name;
        this.exitCode = options.exitCode ?? 1;
    }
}

/** Raised when user-supplied options fail validation at the boundary (`options.parallel must be a positive integer`). */
export class InvalidOptionError extends AirlabelError {
    public constructor(message: string) {
        super(message, {exitCode: 2});
    }
}
