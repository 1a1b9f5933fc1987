import type {Manifest} from "../output/Manifest.js";
import {runIdentity} from "../options/runIdentity.js";

/** What `OutputStore.open` gets for a `--retry-failed` pass: the identity to check the run against, and the pass's own. */
export type RetryPass = {
    /** This run's identity with the generation settings a retry may change taken from the recorded run. */
    identity: Record<string, string>;
    retry: {identity: Record<string, string>; changes: string[]};
};

/**
 * A `--retry-failed` pass over the run `manifest` records, whose identity this run's (`identity`) must match except for the
 * generation settings (see RunIdentity.retryIdentity). With no readable run there, `identity` as it is (opening the
 * output then says why there is nothing to retry).
 */
export function retryPass(manifest: Manifest | undefined, identity: Record<string, string>): RetryPass {
    if (manifest === undefined) return {identity, retry: {identity, changes: []}};
    const recorded = runIdentity.upgradeRecorded(manifest.identity, identity);
    const {identity: checked, changes} = runIdentity.retryIdentity(recorded, identity);
    return {identity: checked, retry: {identity, changes}};
}
