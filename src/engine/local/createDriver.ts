import type {GenerationDriver, GenerationDriverOptions} from "./GenerationRequest.js";
import {LockstepDriver} from "./LockstepDriver.js";
import {NativeStepDriver, nativeStepsOf} from "./NativeStepDriver.js";

/**
 * The generation driver for a context: the native decode loop ({@link NativeStepDriver}) where the binary has
 * airlabel's steps patch, else the JavaScript one ({@link LockstepDriver}, also with `AIRLABEL_DRIVER=lockstep`, to
 * compare the two).
 */
export function createDriver(options: GenerationDriverOptions): GenerationDriver {
    if (process.env.AIRLABEL_DRIVER !== "lockstep" && nativeStepsOf(options.context) !== undefined) return new NativeStepDriver(options);
    return new LockstepDriver(options);
}
