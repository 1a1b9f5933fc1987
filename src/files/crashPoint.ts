/**
 * The global symbol under which a test-only preload (`node --import test/faults/crashPreload.mjs`) installs its
 * crash handler. Production never sets it.
 */
export const CRASH_POINT_HOOK = Symbol.for("airlabel.crashPoint");

/**
 * A named moment in the commit protocol where a fault-injection test may kill the process (for example
 * `shard-before-rename`). Does nothing unless a handler is installed on `globalThis[CRASH_POINT_HOOK]`, which only
 * the test preload does; there is no environment variable or option in airlabel itself that can trip it.
 */
export function crashPoint(name: string): void {
    const hook = (globalThis as Record<symbol, unknown>)[CRASH_POINT_HOOK];
    if (typeof hook === "function") (hook as (point: string) => void)(name);
}

/** Whether a fault-injection test installed its handler (production: never), so writers split a write only then. */
export function crashPointsArmed(): boolean {
    return typeof (globalThis as Record<symbol, unknown>)[CRASH_POINT_HOOK] === "function";
}
