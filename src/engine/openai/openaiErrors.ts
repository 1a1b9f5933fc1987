import {AirlabelError} from "../../AirlabelError.js";
import {RowStoppedError} from "../RowStoppedError.js";

/**
 * The server cannot be used for the rest of the run: unreachable or overloaded past the retry bound, the key
 * refused, the model unknown, a redirect. Committed rows stay committed; the run is resumable.
 */
export class RemoteServerError extends AirlabelError {}

/**
 * A request not sent, or not finished, because the run was stopped (SIGINT/SIGTERM): no new request or retry starts
 * after the signal, and one still in flight when the grace period ends is cancelled. The row is not committed: a resume
 * generates it.
 */
export class RequestStoppedError extends RowStoppedError {}
