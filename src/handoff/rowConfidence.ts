import type {HandoffResponse, HandoffRow} from "./readHandoffSource.js";

/**
 * A row's confidence for ordering reviews: the lowest of its answers' recorded confidences (`--confidence`,
 * `--samples`); 0 where a model failed the row; undefined where the run recorded none.
 */
export function rowConfidence(row: Pick<HandoffRow, "responses">): number | undefined {
    const responses: HandoffResponse[] = Object.values(row.responses);
    if (responses.some((response) => !response.ok)) return 0;
    const values = responses.map((response) => response.confidence).filter((value) => typeof value === "number");
    return values.length > 0 ? Math.min(...values) : undefined;
}

/** Rows by ascending confidence (failed rows and rows without one first), then idx; a new array. */
export function byConfidence<Row extends Pick<HandoffRow, "idx" | "responses">>(rows: readonly Row[]): Row[] {
    const key = (row: Row) => rowConfidence(row) ?? -1;
    return [...rows].sort((a, b) => key(a) - key(b) || a.idx - b.idx);
}
