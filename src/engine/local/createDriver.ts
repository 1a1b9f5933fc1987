import {EngineError} from "../EngineError.js";
import type {GenerationDriver, GenerationDriverOptions} from "./GenerationRequest.js";
import {LockstepDriver} from "./LockstepDriver.js";
import {NativeStepDriver, nativeStepsOf} from "./NativeStepDriver.js";

/** What the generations of a driver need beyond decoding and sampling. */
export type DriverNeeds = {
    /** Generations have time limits (`rowTimeout`). Defaults to false. */
    timeLimits?: boolean;
    /** Generations return their tokens' log-probabilities (`confidence`); only the native decode loop does. Defaults to false. */
    logprobs?: boolean;
};

/**
 * The generation driver for a context: the native decode loop ({@link NativeStepDriver}) where the binary has
 * airlabel's steps patch (and, when generations have time limits or log-probabilities, takes them: builds before
 * that did not), else the JavaScript one ({@link LockstepDriver}, also with `AIRLABEL_DRIVER=lockstep`, to compare
 * the two). Log-probabilities need the native loop: without it, an EngineError says what to build.
 */
export function createDriver(options: GenerationDriverOptions, needs: DriverNeeds = {}): GenerationDriver {
    const steps = nativeStepsOf(options.context);
    const logprobs = steps?.airlabelStepsLogprobs?.() === true;
    if (needs.logprobs === true) {
        if (!logprobs)
            throw new EngineError(
                "--confidence needs token log-probabilities from airlabel's native decode loop, which this llama.cpp binary lacks; build it with `npm run build:native` (add `-- --gpu cuda` etc. for a GPU)"
            );
        return new NativeStepDriver(options);
    }
    const native = steps !== undefined && (needs.timeLimits !== true || steps.airlabelStepsTimeLimits?.() === true);
    if (process.env.AIRLABEL_DRIVER !== "lockstep" && native) return new NativeStepDriver(options);
    return new LockstepDriver(options);
}
