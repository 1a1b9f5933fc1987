import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {errorSummaryOf} from "../output/outputErrors.js";

/** Writing the prepared cache failed because the disk (or the file-size limit, or a quota) is full. */
export class PreparedCacheWriteError extends AirlabelError {}

const fullDiskCodes = new Set(["ENOSPC", "EFBIG", "EDQUOT"]);

/**
 * `error` as one line when it is a full disk met while the prepare stage wrote its cache under `cacheDir`
 * (nothing is generated or committed yet); any other error unchanged.
 */
export function cacheWriteError(error: unknown, cacheDir: string): unknown {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (typeof code !== "string" || !fullDiskCodes.has(code)) return error;
    const shown = `${path.dirname(cacheDir)}${path.sep}`;
    return new PreparedCacheWriteError(
        `could not write the prepared rows to ${shown} (${errorSummaryOf(error)}); nothing was generated or committed: ` +
            `free space${code === "EFBIG" ? " (or raise the file-size limit, ulimit -f)" : ""} and re-run the same command`,
        {cause: error}
    );
}
