import {AirlabelError} from "../AirlabelError.js";

/** The output dir cannot be created or written to. */
export class OutputDirError extends AirlabelError {}

/** Another live airlabel process holds the output dir's lock. */
export class OutputLockedError extends AirlabelError {}

/** `manifest.json` cannot be read back (truncated, not JSON, or not an airlabel manifest). */
export class ManifestCorruptError extends AirlabelError {}

/** The output dir holds a run whose identity (input, template, schema, model, ...) differs from this one. */
export class RunIdentityMismatchError extends AirlabelError {}

/** `--retry-failed` was given for an output dir that holds no run. */
export class NoRunToRetryError extends AirlabelError {}

/** A committed shard is missing or its bytes differ from the sha256 recorded in the manifest. */
export class ShardCorruptError extends AirlabelError {}

/** Writing a shard or the manifest failed (disk full, I/O error); nothing partial was committed. */
export class OutputWriteError extends AirlabelError {}

/** Short code of a Node.js system error (`EACCES`), or its message when it has none. */
export function errorCodeOf(error: unknown): string {
    if (error instanceof Error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === "string") return code;
        return error.message.split("\n")[0] ?? String(error);
    }
    return String(error);
}

/** One-line description of a system error: `ENOSPC: no space left on device`. */
export function errorSummaryOf(error: unknown): string {
    if (error instanceof Error) {
        const first = error.message.split("\n")[0] ?? "";
        const code = (error as NodeJS.ErrnoException).code;
        // Node's messages look like "ENOSPC: no space left on device, write"
        if (typeof code === "string" && !first.startsWith(code)) return `${code}: ${first}`;
        return first;
    }
    return String(error);
}

/** The dir given to `readOutput` holds no airlabel output. */
export class OutputNotFoundError extends AirlabelError {}

/** Error codes of a full disk or quota: the same dir works again once space is freed. */
const fullDiskCodes = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

/** What to do when `shownDir` (as displayDir shows it) cannot be written: free space (a full disk keeps the committed rows worth resuming), or another dir. */
export function unwritableDirMessage(shownDir: string, error: unknown): string {
    const code = errorCodeOf(error);
    return (
        `output dir ${shownDir} is not writable (${code}); ` +
        (fullDiskCodes.has(code) ? "free space and re-run the same command to resume" : "choose another --output")
    );
}
