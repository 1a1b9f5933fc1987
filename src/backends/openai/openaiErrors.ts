import {AirlabelError} from "../../AirlabelError.js";

/**
 * The server cannot be used for the rest of the run: unreachable or overloaded past the retry bound, the key
 * refused, the model unknown, a redirect. Committed rows stay committed; the run is resumable.
 */
export class RemoteServerError extends AirlabelError {}
