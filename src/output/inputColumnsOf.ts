/** The input columns an errors record keeps (`columns`; none in records written before it existed). */
export function inputColumnsOf(error: Record<string, unknown>): Record<string, unknown> {
    const columns = error.columns;
    return typeof columns === "object" && columns !== null && !Array.isArray(columns) ? (columns as Record<string, unknown>) : {};
}
