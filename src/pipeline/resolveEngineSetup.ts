import type {EngineSetup, EngineSetupOptions} from "./EngineSetup.js";
import {localEngineSetup} from "./localEngineSetup.js";
import {openaiEngineSetup} from "./openaiEngineSetup.js";

/**
 * The run's backend, resolved once: the local llama.cpp engine (grammar compiled, replicas placed) or an
 * OpenAI-compatible server (API key read). Runs before the output dir is taken, so that a schema that cannot become
 * a grammar, a bad placement option or a missing API key fails before anything is written.
 */
export async function resolveEngineSetup(options: EngineSetupOptions): Promise<EngineSetup> {
    const remote = options.resolved.resolvedBackend.remote;
    return remote !== null ? openaiEngineSetup(remote, options) : await localEngineSetup(options);
}
