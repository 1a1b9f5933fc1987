import type {StepProfile} from "./StepProfile.js";
import type {EngineResult, EngineTask, WarmupResult} from "./EngineTask.js";

/**
 * What the pipeline needs from a backend (the local llama.cpp worker pool, a remote OpenAI-compatible server):
 * `annotate()` keeps about twice `capacity` rows in flight and writes each result as it resolves.
 */
export interface Engine {
    /** How many rows can be generating at once. */
    readonly capacity: number;
    /** Loads the model / checks the server before the clock starts; says what runs, for the startup line. */
    ready(): Promise<WarmupResult>;
    /**
     * Generates (with validation and retries) one row. Resolves with the row's result, ok or failed; rejects
     * only when the engine as a whole cannot go on (the run stops and the rows not committed stay resumable).
     */
    generate(task: EngineTask): Promise<EngineResult>;
    /** Where decode steps spent their time so far (engines that decode locally). */
    stepProfile?(): StepProfile;
    /** Releases workers, models and connections. Safe to call twice. */
    dispose(): Promise<void>;
}
