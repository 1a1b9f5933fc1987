import {oneLine} from "../oneLine.js";

/** What one hook call gave: its (awaited) value, or why it failed, as one line naming the hook. */
export type HookOutcome = {value: unknown} | {error: string};

/**
 * Calls one user hook with a time limit. A throw (sync or async) or a promise that does not settle within
 * `timeoutMs` becomes `{error}`. A synchronous hook that never returns cannot be interrupted (it holds the thread).
 */
export async function callHook(label: string, hook: (...args: never[]) => unknown, args: unknown[], timeoutMs: number): Promise<HookOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HookOutcome>((resolve) => {
        timer = setTimeout(() => resolve({error: `${label} timed out after ${timeoutMs} ms`}), timeoutMs);
    });
    const call = (async (): Promise<HookOutcome> => ({value: await (hook as (...args: unknown[]) => unknown)(...args)}))().catch(
        (err: unknown): HookOutcome => ({error: `${label} threw: ${oneLine(err)}`})
    );
    try {
        return await Promise.race([call, timeout]);
    } finally {
        clearTimeout(timer);
    }
}
