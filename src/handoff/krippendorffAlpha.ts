import {canonicalJson} from "../canonicalJson.js";

/** The difference function of Krippendorff's alpha: nominal (equal or not) or interval (squared difference of numbers). */
export type AlphaMetric = "nominal" | "interval";

/** Krippendorff's alpha of a set of units, and how many pairable values it was computed on. */
export interface KrippendorffAlpha {
    metric: AlphaMetric;
    /** Krippendorff's alpha; null when undefined (no unit with two values, or no expected disagreement: every value the same). */
    alpha: number | null;
    /** Units with at least two values (the others are not pairable and are left out). */
    units: number;
    /** Pairable values: n in Krippendorff's formula. */
    values: number;
}

/**
 * Krippendorff's alpha, alpha = 1 - D_o / D_e, from the coincidence matrix (Krippendorff 2011, "Computing
 * Krippendorff's Alpha-Reliability", section C: any number of observers, missing data): each unit u with m_u ≥ 2
 * values adds 1 / (m_u - 1) to o_ck for every ordered pair of its values (c, k); n_c = Σ_k o_ck and n = Σ_c n_c. Then
 * alpha = 1 - (n - 1) Σ_c Σ_k o_ck δ²(c, k) / Σ_c Σ_k n_c n_k δ²(c, k), with δ² = 0 for equal values and 1 otherwise
 * (nominal) or (c - k)² (interval). `units` holds each unit's values with the missing ones left out; nominal values
 * are compared as their JSON text, interval values must be finite numbers (others are left out).
 */
export function krippendorffAlpha(units: readonly (readonly unknown[])[], metric: AlphaMetric): KrippendorffAlpha {
    const pairable = units
        .map((unit) => (metric === "interval" ? unit.filter((value) => typeof value === "number" && Number.isFinite(value)) : [...unit]))
        .filter((unit) => unit.length >= 2);
    const n = pairable.reduce((sum, unit) => sum + unit.length, 0);
    if (pairable.length === 0) return {metric, alpha: null, units: 0, values: 0};
    const delta = metric === "interval" ? (a: unknown, b: unknown) => ((a as number) - (b as number)) ** 2 : nominalDelta;

    let observed = 0;
    const totals = new Map<string, {value: unknown; count: number}>();
    for (const unit of pairable) {
        let within = 0;
        for (let i = 0; i < unit.length; i++) {
            for (let j = 0; j < unit.length; j++) if (i !== j) within += delta(unit[i], unit[j]);
            const key = canonicalJson(unit[i]);
            const total = totals.get(key);
            if (total === undefined) totals.set(key, {value: unit[i], count: 1});
            else total.count++;
        }
        observed += within / (unit.length - 1);
    }
    let expected = 0;
    const distinct = [...totals.values()];
    for (const c of distinct) for (const k of distinct) expected += c.count * k.count * delta(c.value, k.value);
    if (expected <= 0) return {metric, alpha: null, units: pairable.length, values: n};
    return {metric, alpha: 1 - ((n - 1) * observed) / expected, units: pairable.length, values: n};
}

function nominalDelta(a: unknown, b: unknown): number {
    return canonicalJson(a) === canonicalJson(b) ? 0 : 1;
}
