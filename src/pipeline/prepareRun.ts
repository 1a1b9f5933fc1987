import type {LoadedHooks} from "../hooks/Hooks.js";
import type {ResolvedAnnotateOptions} from "../options/validateAnnotateOptions.js";
import type {OutputLock} from "../output/OutputLock.js";
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
    log: (line: string) => void;
};

/**
 * The run's prepare stage, in the locked output dir. A run that may grow (no shuffle, no overwrite) also checks that
 * the rows an earlier run there covered are still the input's first rows (see checkCoverage), and says when it grew.
 */
export async function prepareRun({resolved, setup, hooks, lock, log}: PrepareRunOptions): Promise<PrepareResult> {
    try {
        const previous = resolved.overwrite || resolved.shuffleSeed !== undefined ? undefined : await recordedCoverage(resolved.output);
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
        log(`prepared ${job.totalRows} rows${job.fromCache ? " (from cache)" : ""}: ${job.rowCount} to generate, ${job.failureCount} failed in prepare`);
        return result;
    } catch (err) {
        await lock.release();
        throw err;
    }
}
