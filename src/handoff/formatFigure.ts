/** A statistic as `airlabel stats` prints it: three decimals, or `n/a` where it is undefined. */
export function formatFigure(value: number | null): string {
    return value === null ? "n/a" : value.toFixed(3);
}

/** A probability as `stats` and the run summary print it: three decimals, or two significant digits below 0.001 (a label a model would not write). */
export function formatProbability(value: number): string {
    return value !== 0 && value < 0.001 ? value.toExponential(1) : formatFigure(value);
}
