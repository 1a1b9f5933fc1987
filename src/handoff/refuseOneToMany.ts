import {AirlabelError} from "../AirlabelError.js";
import {displayDir} from "../output/Manifest.js";

/** A hand-off that takes one answer per input row was asked of a one-to-many run (whose answers are lists of output rows). */
export class OneToManyRunError extends AirlabelError {
    public constructor(message: string) {
        super(message, {exitCode: 2});
    }
}

/**
 * Refuses `what` (a review hand-off, the review app, an import of reviews, ...) on a one-to-many run: those key each
 * answer by its input row, while a one-to-many run's answer is a list of output rows. Its items are handed on as a
 * table instead (one row per item, with `row_id`). `meta` is the run's manifest meta.
 */
export function refuseOneToMany(dir: string, meta: Record<string, unknown>, what: string): void {
    if (meta.oneToMany !== true) return;
    throw new OneToManyRunError(
        `${displayDir(dir)} holds a one-to-many run (each answer a list of output rows), and ${what} takes one answer per input row; export its items as a table instead (airlabel export ${dir} --to items.jsonl: one row per item, with row_id)`
    );
}
