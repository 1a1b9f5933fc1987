/** An exact decimal: sign, integer digits without leading zeros ("0" for zero), fraction digits without trailing zeros. */
export type Decimal = {negative: boolean; int: string; frac: string};

/** The exact decimal that JavaScript's shortest representation of `x` denotes (finite numbers only). */
export function toDecimal(x: number): Decimal {
    const text = String(Math.abs(x));
    const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/u.exec(text);
    if (match === null) throw new Error(`not a finite number: ${x}`);
    let digits = match[1]! + (match[2] ?? "");
    let point = match[1]!.length + Number(match[3] ?? 0);
    if (point <= 0) {
        digits = "0".repeat(1 - point) + digits;
        point = 1;
    }
    if (point > digits.length) digits += "0".repeat(point - digits.length);
    const int = digits.slice(0, point).replace(/^0+(?=\d)/u, "");
    const frac = digits.slice(point).replace(/0+$/u, "");
    return {negative: x < 0 && (int !== "0" || frac !== ""), int, frac};
}

export function isZero(d: Decimal): boolean {
    return d.int === "0" && d.frac === "";
}

/** -d */
export function negate(d: Decimal): Decimal {
    return isZero(d) ? d : {...d, negative: !d.negative};
}

/** Compares two decimals: negative, zero or positive. */
export function compareDecimal(a: Decimal, b: Decimal): number {
    if (a.negative !== b.negative) return a.negative ? -1 : 1;
    const sign = a.negative ? -1 : 1;
    if (a.int.length !== b.int.length) return sign * (a.int.length - b.int.length);
    if (a.int !== b.int) return sign * (a.int < b.int ? -1 : 1);
    const n = Math.max(a.frac.length, b.frac.length);
    const fa = a.frac.padEnd(n, "0");
    const fb = b.frac.padEnd(n, "0");
    return fa === fb ? 0 : sign * (fa < fb ? -1 : 1);
}

/** The smallest integer >= d (exclusive: > d). */
export function ceilInteger(d: Decimal, exclusive: boolean): bigint {
    const int = BigInt(d.int) * (d.negative ? -1n : 1n);
    if (d.frac === "") return exclusive ? int + 1n : int;
    return d.negative ? int : int + 1n;
}

/** The largest integer <= d (exclusive: < d). */
export function floorInteger(d: Decimal, exclusive: boolean): bigint {
    const int = BigInt(d.int) * (d.negative ? -1n : 1n);
    if (d.frac === "") return exclusive ? int - 1n : int;
    return d.negative ? int - 1n : int;
}
