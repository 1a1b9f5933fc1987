import {AirlabelError} from "../AirlabelError.js";
import {engineVersions, type EngineVersions} from "../llama/engineVersions.js";
import type {ModelFileInfo} from "../model/checkModelFile.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";
import {reproducibleOptions} from "../options/reproducibleOptions.js";
import {displayDir, loadManifest} from "../output/Manifest.js";
import {version} from "../version.js";

/** What a run records of itself in its manifest (`meta.config`), so that `airlabel run --from` runs it again. */
export type RecordedConfig =
    | {
          reproducible: true;
          /** Every option of the run (see reproducibleOptions): template and system texts, the schema, sampling, engine settings. */
          options: Record<string, unknown>;
          airlabel: string;
          engine: EngineVersions;
          /** The model file (or the server's model name): path, size and content fingerprint. */
          model: {path: string; bytes: number; fingerprint: string};
      }
    | {reproducible: false; why: string};

/** `run --from` was given a dir whose run cannot be run again from what it recorded. */
export class RecordedConfigError extends AirlabelError {}

/** The configuration of a run with these (validated) options and this model file, as its manifest records it. */
export function recordedConfig(options: AnnotateOptions, model: ModelFileInfo): RecordedConfig {
    if (options.records !== undefined) return {reproducible: false, why: "its rows were given in memory (airlabel generate, or the library's records option)"};
    return {
        reproducible: true,
        options: reproducibleOptions(options),
        airlabel: version,
        engine: engineVersions(),
        model: {path: model.path, bytes: model.bytes, fingerprint: model.fingerprint}
    };
}

/**
 * The options the run in `dir` was made with, for `airlabel run --from DIR`. Throws `RecordedConfigError` when there
 * is no run there, or it did not record them (an older airlabel, a generate run).
 */
export async function recordedOptions(dir: string): Promise<Record<string, unknown>> {
    const manifest = await loadManifest(dir);
    if (manifest === undefined)
        throw new RecordedConfigError(`--from ${dir}: ${displayDir(dir)} holds no airlabel run (no manifest.json); give the --output dir of a run`);
    const config = manifest.meta.config as RecordedConfig | undefined;
    if (config === undefined || typeof config !== "object")
        throw new RecordedConfigError(
            `--from ${dir}: that run was made by an airlabel that did not record its configuration; run it again with its original options`
        );
    if (!config.reproducible) throw new RecordedConfigError(`--from ${dir}: that run cannot be re-run from its output dir: ${config.why}`);
    return {...config.options};
}
