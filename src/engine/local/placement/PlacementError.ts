import {InvalidOptionError} from "../../../AirlabelError.js";

/** Raised when a placement option does not fit the GPUs found or the llama.cpp build loaded (exit code 2, like any invalid option). */
export class PlacementError extends InvalidOptionError {}
