import {canonicalJson} from "../canonicalJson.js";

/** Agreement of two raters on the same items: the share of items they agree on, Cohen's kappa, mean absolute difference. */

/** One pair of answers to the same item. */
export type RatingPair = readonly [unknown, unknown];

/**
 * Share of pairs whose two values are equal (`sameValue`); null when there are no pairs.
 */
export function percentAgreement(pairs: readonly RatingPair[]): number | null {
    if (pairs.length === 0) return null;
    let agree = 0;
    for (const [a, b] of pairs) if (sameValue(a, b)) agree++;
    return agree / pairs.length;
}

/**
 * Cohen's kappa, (po - pe) / (1 - pe): po is the observed agreement, pe the agreement expected by chance from each
 * rater's own label frequencies (Cohen 1960). Labels are compared as their JSON text. Null when there are no pairs,
 * or when pe = 1 (both raters gave one and the same label to every item: kappa is 0/0, undefined).
 */
export function cohenKappa(pairs: readonly RatingPair[]): number | null {
    const n = pairs.length;
    if (n === 0) return null;
    const first = new Map<string, number>();
    const second = new Map<string, number>();
    let agree = 0;
    for (const [a, b] of pairs) {
        const ka = canonicalJson(a);
        const kb = canonicalJson(b);
        if (ka === kb) agree++;
        first.set(ka, (first.get(ka) ?? 0) + 1);
        second.set(kb, (second.get(kb) ?? 0) + 1);
    }
    const po = agree / n;
    let pe = 0;
    for (const [label, count] of first) pe += (count / n) * ((second.get(label) ?? 0) / n);
    if (1 - pe <= Number.EPSILON * 4) return null;
    return (po - pe) / (1 - pe);
}

/** Mean of |a - b| over the pairs where both values are finite numbers; null when there are none. */
export function meanAbsoluteDifference(pairs: readonly RatingPair[]): number | null {
    let sum = 0;
    let count = 0;
    for (const [a, b] of pairs) {
        if (typeof a !== "number" || typeof b !== "number" || !Number.isFinite(a) || !Number.isFinite(b)) continue;
        sum += Math.abs(a - b);
        count++;
    }
    return count === 0 ? null : sum / count;
}

/** Whether two answers are the same value (deep JSON equality, object keys in any order). */
export function sameValue(a: unknown, b: unknown): boolean {
    return canonicalJson(a) === canonicalJson(b);
}
