import {EngineError} from "../engine/EngineError.js";
import type {ChatMessage} from "../chat/ChatMessage.js";
import {hasAnswerHooks, type LoadedHooks} from "../hooks/Hooks.js";
import {loadHooks} from "../hooks/loadHooks.js";
import {fewShotExamples} from "../prepare/fewShotExamples.js";
import type {AnnotateOptions, LogLevel} from "../options/AnnotateOptions.js";
import {RunLogFile} from "../output/RunLogFile.js";
import {runIdentity} from "../options/runIdentity.js";
import {validateAnnotateOptions, type ResolvedAnnotateOptions} from "../options/validateAnnotateOptions.js";
import {OutputStore} from "../output/OutputStore.js";
import {lockOutputDir} from "../output/openOutputDir.js";
import {loadManifest} from "../output/Manifest.js";
import {AnswerSchema} from "../schema/AnswerSchema.js";
import {checkOneToMany} from "../options/checkOneToMany.js";
import {version} from "../version.js";
import {annotateResult, type AnnotateResult} from "./annotateResult.js";
import {resolveEngineSetup} from "./resolveEngineSetup.js";
import {prepareRun} from "./prepareRun.js";
import {retryPass} from "./retryPass.js";
import {recordedConfig} from "./recordedConfig.js";
import {RowGeneration} from "./RowGeneration.js";

export {EngineError};
export type {AnnotateResult};

/**
 * Annotates a dataset end to end: prepare (read, render, tokenize, sort) -> engine (the local worker pool,
 * grammar-constrained, or an OpenAI-compatible server with `backend: "openai"`; answers validated with retries) ->
 * checkpointed shard writer. Re-running the same options
 * against the same output dir resumes; different options are refused unless `overwrite` is set.
 */
export async function annotate(options: AnnotateOptions): Promise<AnnotateResult> {
    const resolved = validateAnnotateOptions(options);
    // every log line also goes to the output dir's airlabel.log, once the dir is the run's
    const file = new RunLogFile();
    const log = (line: string, level?: LogLevel) => {
        file.line(line, level);
        resolved.onLog?.(line, level);
    };
    file.line(
        `airlabel ${version}: ${resolved.retryFailed ? "retrying the failed rows of" : "run"} ${resolved.input} -> ${resolved.output} (model ${resolved.model})`
    );
    try {
        const result = await annotateLogged(resolved, log, file);
        file.line(
            `${result.complete ? "done" : result.stopped ? "stopped" : "incomplete"}: ${result.okRows} answered, ${result.failedRows} failed, ${result.resumedRows} already committed, of ${result.totalRows} rows in ${(result.elapsedMs / 1000).toFixed(1)} s`
        );
        return result;
    } catch (error) {
        file.line(`failed: ${(error as Error).message?.split("\n")[0] ?? String(error)}`, "warning");
        throw error;
    }
}

async function annotateLogged(given: ResolvedAnnotateOptions, log: (line: string, level?: LogLevel) => void, file: RunLogFile): Promise<AnnotateResult> {
    const startedAt = Date.now();

    const answerSchema = answerSchemaOf(given);
    // a missing or broken hooks module fails before any model loads
    const hooks = given.hooks !== undefined ? await loadHooks(given.hooks) : null;
    const {resolved, exampleTurns} = await withExamples(given, hooks, log);
    checkOneToMany(resolved, answerSchema, hooks);
    // local: the grammar compiled and the GPUs found, one placement per replica; openai: the API key read. All before
    // the prepare stage (a bad placement option fails first)
    const setup = await resolveEngineSetup({resolved, answerSchema, hooks, exampleTurns, log});
    // the dir is ours before the prepare stage writes its cache/ there (a run the lock refuses writes nothing)
    const lock = await lockOutputDir(resolved.output);
    file.attach(resolved.output);
    // the run there, read once (unreadable: opening the output says why); its rows are matched by key unless an older
    // airlabel wrote it or an idx column numbers them (see RowMatcher)
    const recorded = resolved.overwrite ? undefined : await loadManifest(resolved.output).catch(() => undefined);
    const keyed = resolved.idxColumn === undefined && (recorded === undefined || typeof recorded.meta.rowKeys === "string");
    const {job: prepared, model: modelFile, contextSize} = await prepareRun({resolved, setup, hooks, lock, byPosition: keyed ? undefined : recorded, log});

    const identity = runIdentity.manifestIdentity(resolved, {
        inputHash: prepared.inputHash,
        model: modelFile.fingerprint,
        hooks: hooks !== null ? {file: hooks.file, sha256: hooks.sha256} : null
    });
    // --retry-failed: the generation settings may differ from the run's; the pass is recorded with what it changed
    const retry = resolved.retryFailed ? retryPass(recorded, identity) : null;
    if (retry !== null && retry.retry.changes.length > 0) log(`--retry-failed with changed settings: ${retry.retry.changes.join(", ")}`);
    const store = await OutputStore.open({
        dir: resolved.output,
        lock,
        format: resolved.format,
        shardSize: resolved.shardSize,
        overwrite: resolved.overwrite,
        onLog: log,
        identity: retry?.identity ?? identity,
        ...(retry !== null ? {retry: retry.retry} : {}),
        upgradeIdentity: (recorded) => runIdentity.upgradeRecorded(recorded, identity),
        meta: {
            airlabel: version,
            model: modelFile.path,
            input: resolved.input,
            // the rows this run covers, which a later run over a grown input checks are still the first ones
            totalRows: prepared.totalRows,
            inputSha256: prepared.inputHash,
            // what a re-run matches the committed rows by
            ...(keyed ? {rowKeys: prepared.keySource} : {}),
            // the answer schema itself (the identity holds only its hash): export/import/stats read the labels from it
            ...(answerSchema.jsonSchema !== null ? {schema: answerSchema.jsonSchema} : {}),
            // each data row's annotation is the list of its output rows: the readers give one row per item (see itemRows)
            ...(resolved.oneToMany === true ? {oneToMany: true} : {}),
            ...setup.manifestMeta,
            // everything `airlabel run --from` needs to run it again (see RecordedConfig)
            config: recordedConfig(resolved, modelFile)
        }
    });
    const generation = new RowGeneration({
        resolved,
        job: prepared,
        store,
        setup,
        contextSize,
        modelName: setup.modelName(modelFile),
        answerHooks: hasAnswerHooks(hooks),
        keySource: keyed ? prepared.keySource : null,
        startedAt,
        log
    });
    try {
        const result = annotateResult(await generation.run(), {
            output: resolved.output,
            job: prepared,
            contextSize,
            backend: setup.backend,
            retryChanges: retry?.retry.changes ?? null
        });
        if (result.complete) await store.markComplete({...result});
        return result;
    } finally {
        await generation.dispose();
        await store.close();
    }
}

/**
 * The few-shot examples read and checked before any model loads, and the options with their rows in place of the
 * file's name, so that the run identity, the prepare stage and the recorded config all hold the content read once.
 */
async function withExamples(
    given: ResolvedAnnotateOptions,
    hooks: LoadedHooks | null,
    log: (line: string) => void
): Promise<{resolved: ResolvedAnnotateOptions; exampleTurns: readonly ChatMessage[]}> {
    const fewShot = await fewShotExamples(given, hooks?.prompt !== undefined ? hooks.file : null);
    if (fewShot === null) return {resolved: given, exampleTurns: []};
    log(`examples: ${fewShot.rows.length} few-shot example${fewShot.rows.length === 1 ? "" : "s"} before each row's prompt`);
    return {resolved: {...given, examples: fewShot.rows}, exampleTurns: fewShot.turns};
}

/** The answer's shape: the choices, the JSON Schema, or free text. */
function answerSchemaOf(resolved: ResolvedAnnotateOptions): AnswerSchema {
    return resolved.choices !== undefined
        ? AnswerSchema.fromChoices(resolved.choices)
        : resolved.schema !== undefined
          ? AnswerSchema.fromJsonSchema(resolved.schema, resolved.schemaOrigin)
          : AnswerSchema.freeText();
}
