import {countErrorRows} from "../compare/countErrorRows.js";

/**
 * `--fail-on-errors`: after the summary, exit code 3 when any row of these output dirs (runs or comparisons, earlier
 * runs included) is in `errors/`, with the count on stderr (also with --quiet: it is why the command failed).
 */
export async function exitOnErrorRows(enabled: boolean | undefined, dirs: readonly string[]): Promise<void> {
    if (enabled !== true) return;
    let errors = 0;
    for (const dir of dirs) errors += await countErrorRows(dir);
    if (errors === 0) return;
    process.stderr.write(`airlabel: ${errors} ${errors === 1 ? "row" : "rows"} ended in errors/ (--fail-on-errors): exit code 3\n`);
    process.exitCode = 3;
}
