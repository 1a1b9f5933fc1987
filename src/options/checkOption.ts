import {InvalidOptionError} from "../AirlabelError.js";

/** Throws an {@link InvalidOptionError} with `message` unless `condition` holds. */
export function checkOption(condition: boolean, message: string): asserts condition {
    if (!condition) throw new InvalidOptionError(message);
}

export const isPositiveInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value > 0;
export const isNonNegativeInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;
export const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
