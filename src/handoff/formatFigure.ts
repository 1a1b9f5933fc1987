/** A statistic as `airlabel stats` prints it: three decimals, or `n/a` where it is undefined. */
export function formatFigure(value: number | null): string {
    return value === null ? "n/a" : value.toFixed(3);
}
