import type {GenerationDriver, GenerationDriverOptions} from "./GenerationRequest.js";
import {LockstepDriver} from "./LockstepDriver.js";
import {NativeStepDriver, nativeStepsOf} from "./NativeStepDriver.js";

/**
 * The generation driver for a context: the native decode loop ({@link NativeStepDriver}) where the binary has
 * airlabel's steps patch (and, when generations have time limits, takes them: builds before that did not), else the
 * JavaScript one ({@link LockstepDriver}, also with `AIRLABEL_DRIVER=lockstep`, to compare the two).
 */
export function createDriver(options: GenerationDriverOptions, timeLimits = false): GenerationDriver {
    const steps = nativeStepsOf(options.context);
    const native = steps !== undefined && (!timeLimits || steps.airlabelStepsTimeLimits?.() === true);
    if (process.env.AIRLABEL_DRIVER !== "lockstep" && native) return new NativeStepDriver(options);
    return new LockstepDriver(options);
}
