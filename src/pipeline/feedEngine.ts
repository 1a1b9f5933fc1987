import {AirlabelError} from "../AirlabelError.js";
import type {Engine} from "../engine/Engine.js";
import {EngineError} from "../engine/EngineError.js";
import type {EngineResult, EngineTask} from "../engine/EngineTask.js";
import {RowStoppedError} from "../engine/RowStoppedError.js";

/**
 * Keeps the engine full: up to twice its capacity in flight, a new row pulled and submitted as each finishes.
 * Resolves true when stopped by the signal (in-flight rows are finished and kept, nothing new is started).
 */
export async function feedEngine(
    engine: Engine,
    nextTask: () => Promise<EngineTask | null>,
    onResult: (result: EngineResult) => Promise<void>,
    signal: AbortSignal | undefined,
    tick: () => void
): Promise<boolean> {
    const limit = engine.capacity * 2;
    let exhausted = false;
    let failure: unknown = null;
    const inFlight = new Set<Promise<void>>();
    let writes: Promise<void> = Promise.resolve();
    const launch = (task: EngineTask) => {
        const promise = engine
            .generate(task)
            .then(
                (result) => {
                    writes = writes.then(() => onResult(result));
                    return writes;
                },
                (err: unknown) => {
                    // a row the stop cut off is not committed: the resume generates it
                    if (!(err instanceof RowStoppedError)) failure ??= err;
                }
            )
            .catch((err: unknown) => {
                failure ??= err;
            })
            .finally(() => {
                inFlight.delete(promise);
                tick();
            });
        inFlight.add(promise);
    };
    const aborted = signal !== undefined ? [abortPromise(signal)] : [];
    while (!exhausted && failure === null && signal?.aborted !== true) {
        while (inFlight.size < limit && !exhausted) {
            const task = await nextTask();
            if (task === null) exhausted = true;
            else launch(task);
        }
        if (inFlight.size > 0) await Promise.race([...inFlight, ...aborted]);
    }
    await Promise.all(inFlight);
    await writes;
    if (failure !== null) {
        if (failure instanceof AirlabelError) throw failure;
        const message = failure instanceof Error ? failure.message : String(failure);
        throw new EngineError(`the local engine failed: ${message.split("\n")[0]}`, {cause: failure});
    }
    if (exhausted) return false;
    // stopped: the next row, if any, is left for the resume
    return true;
}

function abortPromise(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), {once: true});
    });
}
