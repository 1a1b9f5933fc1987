import type {AnnotateOptions} from "./AnnotateOptions.js";
import {optionEffects} from "./runIdentity.js";

/** Options a run does not record for `run --from`: rows given in memory, callbacks, where it wrote and how it was started. */
const NOT_RECORDED: ReadonlySet<string> = new Set(["records", "recordLocation", "signal", "onProgress", "onLog", "output", "overwrite", "retryFailed"]);

/**
 * Every option of a run that `airlabel run --from OUTPUT_DIR` needs to run it again exactly, as plain JSON data: the
 * template and system texts and the schema themselves (not the files they came from), the input and model paths,
 * sampling, caps, the engine's settings. Never a secret: an API key is named (`apiKeyEnv`, `apiKeyFile`), not held.
 */
export function reproducibleOptions(options: AnnotateOptions): Record<string, unknown> {
    const values = options as Record<string, unknown>;
    const recorded: Record<string, unknown> = {};
    for (const name of Object.keys(optionEffects).sort()) {
        const value = values[name];
        if (NOT_RECORDED.has(name) || value === undefined || typeof value === "function") continue;
        recorded[name] = value;
    }
    return recorded;
}
