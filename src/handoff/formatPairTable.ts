import {formatFigure} from "./formatFigure.js";
import type {PairStats} from "./pairStats.js";
import {textTable} from "./textTable.js";

/**
 * Pairs of raters as a text table: `title` heads the column of the pairs' labels, then n, the agreement (named
 * `agreementName`), and kappa and MAD where the pairs have them.
 */
export function formatPairTable(title: string, pairs: readonly (PairStats & {label: string})[], agreementName: string): string {
    const withKappa = pairs.some((pair) => pair.kappa !== undefined);
    const withMad = pairs.some((pair) => pair.mad !== undefined);
    return textTable(
        [title, "n", agreementName, ...(withKappa ? ["kappa"] : []), ...(withMad ? ["MAD"] : [])],
        pairs.map((pair) => [
            pair.label,
            String(pair.n),
            formatFigure(pair.agreement),
            ...(withKappa ? [formatFigure(pair.kappa ?? null)] : []),
            ...(withMad ? [formatFigure(pair.mad ?? null)] : [])
        ])
    );
}
