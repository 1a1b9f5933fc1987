import type {LlamaContext} from "node-llama-cpp";
import type {GenerationDriver} from "./GenerationRequest.js";
import {LockstepDriver} from "./LockstepDriver.js";
import {NativeStepDriver, nativeStepsOf} from "./NativeStepDriver.js";
import type {StepProfileSlot} from "./StepProfile.js";

export type CreateDriverOptions = {
    /** Context whose sequences the driver owns (all of them). */
    context: LlamaContext,
    /** Where to write the cumulative step profile. Defaults to none. */
    profile?: StepProfileSlot
};

/**
 * The generation driver for a context: the native decode loop ({@link NativeStepDriver}) where the binary has
 * airlabel's steps patch, else the JavaScript one ({@link LockstepDriver}, also with `AIRLABEL_DRIVER=lockstep`, to
 * compare the two).
 */
export function createDriver(options: CreateDriverOptions): GenerationDriver {
    if (process.env.AIRLABEL_DRIVER !== "lockstep" && nativeStepsOf(options.context) !== undefined) return new NativeStepDriver(options);
    return new LockstepDriver(options);
}
