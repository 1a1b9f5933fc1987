import {canonicalJson} from "../canonicalJson.js";

/** Fleiss' kappa of a set of items, and how many items and ratings it was computed on. */
export interface FleissKappa {
    /** Fleiss' kappa; null when undefined (no item with two ratings, or every rating the same label: 0/0). */
    kappa: number | null;
    /** Items with at least two ratings (the others carry no agreement and are left out). */
    items: number;
    /** Ratings on those items. */
    ratings: number;
}

/**
 * Fleiss' kappa for nominal labels given by several raters (Fleiss 1971, "Measuring nominal scale agreement among
 * many raters"): kappa = (P̄ - Pe) / (1 - Pe), where P_i = Σ_j n_ij (n_ij - 1) / (n_i (n_i - 1)) is the share of
 * agreeing rater pairs on item i, P̄ their mean over the items, and Pe = Σ_j p_j² the chance agreement from the
 * share p_j of all ratings in category j. `items` holds each item's ratings (missing ones left out); labels are
 * compared as their JSON text. Fleiss assumes the same number of ratings per item; where annotators skipped items,
 * n_i is each item's own count (the usual generalisation, equal to Fleiss' formula when every n_i is the same), and
 * items with fewer than two ratings are left out.
 */
export function fleissKappa(items: readonly (readonly unknown[])[]): FleissKappa {
    const totals = new Map<string, number>();
    let agreementSum = 0;
    let counted = 0;
    let ratings = 0;
    for (const item of items) {
        if (item.length < 2) continue;
        const counts = new Map<string, number>();
        for (const value of item) {
            const key = canonicalJson(value);
            counts.set(key, (counts.get(key) ?? 0) + 1);
            totals.set(key, (totals.get(key) ?? 0) + 1);
        }
        let agreeingPairs = 0;
        for (const count of counts.values()) agreeingPairs += count * (count - 1);
        agreementSum += agreeingPairs / (item.length * (item.length - 1));
        counted++;
        ratings += item.length;
    }
    if (counted === 0) return {kappa: null, items: 0, ratings: 0};
    const observed = agreementSum / counted;
    let expected = 0;
    for (const count of totals.values()) expected += (count / ratings) ** 2;
    const kappa = 1 - expected <= Number.EPSILON * 4 ? null : (observed - expected) / (1 - expected);
    return {kappa, items: counted, ratings};
}
