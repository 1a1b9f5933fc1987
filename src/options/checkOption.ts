import {InvalidOptionError} from "../AirlabelError.js";

/** Throws an {@link InvalidOptionError} with `message` unless `condition` holds. */
export function checkOption(condition: boolean, message: string): asserts condition {
    if (!condition) throw new InvalidOptionError(message);
}

export const isPositiveInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value > 0;
export const isNonNegativeInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;
export const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

/**
 * `options.<name>` checked to be one of `allowed` ("options.<name> must be one of a, b, c" otherwise);
 * `fallback` (or undefined) when it is not set.
 */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined;
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T;
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback?: T): T | undefined {
    if (value === undefined) return fallback;
    checkOption(typeof value === "string" && (allowed as readonly string[]).includes(value), `options.${name} must be one of ${allowed.join(", ")}`);
    return value as T;
}

/** `options.<name>` checked to be unset or a positive integer ("options.<name> must be a positive integer" otherwise). */
export function optionalPositiveInteger(name: string, value: unknown): number | undefined {
    checkOption(value === undefined || isPositiveInteger(value), `options.${name} must be a positive integer`);
    return value;
}

/** `options.<name>` checked to be unset or an integer >= 0 ("options.<name> must be a non-negative integer" otherwise). */
export function optionalNonNegativeInteger(name: string, value: unknown): number | undefined {
    checkOption(value === undefined || isNonNegativeInteger(value), `options.${name} must be a non-negative integer`);
    return value;
}
