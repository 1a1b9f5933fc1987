import {AirlabelError} from "../AirlabelError.js";

/**
 * A row not started, or not finished, because the run was stopped (SIGINT/SIGTERM, the run's signal): no new row
 * starts after the stop, and a row still generating when the stop's grace period ends is cut off. The row is not
 * attempted as far as the output goes (neither answered nor failed): a resume generates it.
 */
export class RowStoppedError extends AirlabelError {}
