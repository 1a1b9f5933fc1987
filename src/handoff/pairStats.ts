import {cohenKappa, meanAbsoluteDifference, percentAgreement} from "./agreement.js";
import type {RatingPair} from "./agreement.js";
import type {AnswerKind} from "./resolveAnswerField.js";

/** Agreement of two raters (two models, two annotators, or a model and the reviewers) on the rows both answered. */
export interface PairStats {
    a: string;
    b: string;
    /** Rows both answered. */
    n: number;
    /** Share of those rows with the same answer (for reviews: the model's accuracy). */
    agreement: number | null;
    /** Cohen's kappa (labels, true/false, scales); null where undefined (no rows, or one label given by both everywhere). */
    kappa?: number | null;
    /** Mean absolute difference (scales, numbers). */
    mad?: number | null;
}

/**
 * The agreement of raters `a` and `b` on `pairs` (their two answers to each item both answered): percent agreement,
 * plus Cohen's kappa for labels, true/false and scales and the mean absolute difference for scales and numbers.
 */
export function pairStatsOf(a: string, b: string, pairs: readonly RatingPair[], kind: AnswerKind): PairStats {
    const categorical = kind === "label" || kind === "binary" || kind === "rating";
    const numeric = kind === "rating" || kind === "number";
    return {
        a,
        b,
        n: pairs.length,
        agreement: percentAgreement(pairs),
        ...(categorical ? {kappa: cohenKappa(pairs)} : {}),
        ...(numeric ? {mad: meanAbsoluteDifference(pairs)} : {})
    };
}
