import {AirlabelError} from "../AirlabelError.js";

/** Raised when the merged view of a comparison cannot be written (an input column clashes with a model's column). */
export class CompareViewError extends AirlabelError {}
