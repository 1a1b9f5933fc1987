/**
 * Rows of cells as a plain-text table: columns padded to their widest cell and separated by two spaces, the last
 * column unpadded, trailing spaces trimmed. `header` is the first line.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]?.length ?? 0)));
    const line = (cells: readonly string[]) =>
        cells
            .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
            .join("  ")
            .trimEnd();
    return [line(header), ...rows.map(line)].join("\n");
}
