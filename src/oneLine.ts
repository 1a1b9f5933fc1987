/**
 * The message of an error (or a value's text) on one line, for the one-line messages of `AirlabelError`s:
 * runs of whitespace, newlines included, become one space. An empty message gives the error's name
 * (or "(no message)"); with `maxLength`, a longer line is cut and ends with "...".
 */
export function oneLine(err: unknown, maxLength?: number): string {
    const text = err instanceof Error ? err.message : String(err);
    const line = text.replace(/\s+/gu, " ").trim() || (err instanceof Error ? err.name : "(no message)");
    return maxLength !== undefined && line.length > maxLength ? `${line.slice(0, Math.max(0, maxLength - 3))}...` : line;
}
