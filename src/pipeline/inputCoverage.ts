import {AirlabelError} from "../AirlabelError.js";
import type {Manifest} from "../output/Manifest.js";
import type {PreparedJob} from "../prepare/PreparedJob.js";

/** The input rows an earlier run in the output dir covered: the first `rows` records, and their hash (hex; 16 digits from an older airlabel). */
export type InputCoverage = {rows: number; sha256: string};

/** The rows an earlier run covered are no longer the first rows of the input: its answers would be mixed with other rows. */
export class InputChangedError extends AirlabelError {}

/**
 * What the run recorded in `manifest` covered of its input (`totalRows` and `inputSha256`; an older airlabel's
 * identity held the hash as its `input` entry). Undefined when it does not say.
 */
export function recordedCoverage(manifest: Manifest): InputCoverage | undefined {
    const rows = manifest.meta?.totalRows;
    const sha256 = manifest.meta?.inputSha256 ?? manifest.identity.input;
    return typeof rows === "number" && typeof sha256 === "string" ? {rows, sha256} : undefined;
}

/**
 * For a run whose rows are matched by position (an idx column, or a run an older airlabel wrote): a run goes on over a grown input only when the rows the earlier run covered are still its first rows (rows appended
 * at the end, --max-rows raised); otherwise it stops before anything is generated, naming what to do. Returns the
 * log line for a grown input, else null.
 */
export function checkCoverage(
    previous: InputCoverage,
    prepared: PreparedJob,
    run: {input: string; output: string; maxRows?: number | undefined}
): string | null {
    const prefix = prepared.prefixHash;
    if (prefix?.startsWith(previous.sha256) === true) {
        const added = prepared.totalRows - previous.rows;
        return added > 0 ? `input grew from ${previous.rows} to ${prepared.totalRows} rows since the last run: the ${added} new rows are generated` : null;
    }
    const {input, output, maxRows} = run;
    if (prefix === null && maxRows !== undefined && maxRows < previous.rows)
        throw new InputChangedError(
            `--max-rows ${maxRows} covers fewer rows than the ${previous.rows} the run in ${output} answered; a run only grows: give --max-rows ${previous.rows} or more, or re-run with --overwrite to start over`
        );
    throw new InputChangedError(
        `${input}: ${prefix === null ? `has ${prepared.totalRows} rows, fewer than` : "its first rows are not"} the ${previous.rows} rows the run in ${output} ` +
            "answered (rows were edited, removed or reordered, or inserted before them), so its answers would be mixed with other rows; " +
            "put those rows back and add new rows at the end, or re-run with --overwrite to start over, or use another --output"
    );
}
