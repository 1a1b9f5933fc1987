import {AirlabelError} from "../AirlabelError.js";

/** Raised when the input's columns clash with airlabel's output columns or a kept column does not exist. */
export class PrepareError extends AirlabelError {}
