import type {LoadedHooks} from "../hooks/Hooks.js";
import type {ResolvedAnnotateOptions} from "../options/validateAnnotateOptions.js";
import type {OutputLock} from "../output/OutputLock.js";
import type {Manifest} from "../output/Manifest.js";
import {prepare, type PrepareResult} from "../prepare/prepare.js";
import type {EngineSetup} from "./EngineSetup.js";
import {checkCoverage, recordedCoverage} from "./inputCoverage.js";

/** What `prepareRun` needs: the run's options, its engine setup and hooks, the output dir's lock and the log. */
export type PrepareRunOptions = {
    resolved: ResolvedAnnotateOptions;
    setup: EngineSetup;
    hooks: LoadedHooks | null;
    /** Released when the prepare stage fails (the run then writes nothing). */
    lock: OutputLock;
    /** The manifest of the run in the output dir, when it goes on (not overwritten) and its rows are matched by position: what it covered is checked. */
    byPosition: Manifest | undefined;
    log: (line: string) => void;
};

/**
 * The run's prepare stage, in the locked output dir. A run that goes on over rows matched by position (no shuffle)
 * also checks that the rows it covered are still the input's first rows (see checkCoverage), and says when it grew.
 */
export async function prepareRun({resolved, setup, hooks, lock, byPosition, log}: PrepareRunOptions): Promise<PrepareResult> {
    try {
        const previous = byPosition === undefined || resolved.shuffleSeed !== undefined ? undefined : recordedCoverage(byPosition);
        const result = await prepare({
            ...resolved,
            maxTokens: resolved.generation.maxTokens,
            ...setup.prepareOptions,
            ...(hooks !== null ? {hooks: hooks.file, loadedHooks: hooks} : {}),
            ...(previous !== undefined ? {prefixRows: previous.rows} : {})
        });
        const grown = previous !== undefined ? checkCoverage(previous, result.job, resolved) : null;
        if (grown !== null) log(grown);
        const {job} = result;
        const from = job.fromCache ? " (from cache)" : job.grownFrom > 0 ? ` (${job.grownFrom} from the earlier prepare of the input's first rows)` : "";
        log(`prepared ${job.totalRows} rows${from}: ${job.rowCount} to generate, ${job.failureCount} failed in prepare`);
        return result;
    } catch (err) {
        await lock.release();
        throw err;
    }
}
