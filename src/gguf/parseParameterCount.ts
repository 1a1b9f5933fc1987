import {InvalidOptionError} from "../AirlabelError.js";

const suffixMultipliers: Record<string, number> = {"": 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12};

/**
 * Parses a parameter count such as "1M", "85M", "100m", "1.5B", "250K", "250000" or "250_000"
 * (suffixes K, M, B/G, T in either case; decimals allowed before a suffix) to a positive integer.
 *
 * @throws InvalidOptionError with a one-line message naming the bad text
 */
export function parseParameterCount(text: string): number {
    const match = /^\s*(\d+(?:[_,]\d{3})*(?:\.\d+)?)\s*([kmbgt]?)\s*$/i.exec(String(text));
    const digits = match?.[1]?.replace(/[_,]/g, "");
    const multiplier = suffixMultipliers[(match?.[2] ?? "").toLowerCase()];
    const value = digits == null || multiplier == null ? NaN : Math.round(Number(digits) * multiplier);

    if (!Number.isSafeInteger(value) || value <= 0 || (multiplier === 1 && digits?.includes(".")))
        throw new InvalidOptionError(`invalid parameter count ${JSON.stringify(String(text))}; use a positive count such as 1M, 85M, 1.5B or 250000`);

    return value;
}
