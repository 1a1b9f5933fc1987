import fsSync from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";
import type {CompareOptions} from "../options/CompareOptions.js";
import {loadManifest, MANIFEST_FILE} from "../output/Manifest.js";
import {annotate, type AnnotateResult} from "../pipeline/annotate.js";
import {assignModelIds} from "./assignModelIds.js";
import {skipKeyOf} from "../pipeline/skipKeyOf.js";
import {readComparisonFile, writeComparisonFile, type ComparisonFile, type RecordedComparisonModel} from "./comparisonFile.js";
import {readComparison, type Comparison} from "./readComparison.js";
import {writeMergedView} from "./writeMergedView.js";
import {isRemoteBackend} from "../options/isRemoteBackend.js";
import {REMOTE_ONLY_OPTIONS} from "../options/validateBackendOptions.js";

/** Raised when a comparison cannot run: the output dir holds something else, the model list changed, a model failed. */
export class CompareError extends AirlabelError {}

export type CompareModelResult = {
    id: string;
    model: string;
    /** True when the model had finished in an earlier run with the same settings and was not run again. */
    skipped: boolean;
    /** This run's result for the model; null when skipped or not reached (stopped before it). */
    result: AnnotateResult | null;
};

export type CompareResult = {
    output: string;
    models: CompareModelResult[];
    /** The merged view (one row per idx, `response_<id>` per model), written once every model is complete; null before. */
    merged: string | null;
    /** Rows in the merged view. */
    rows: number;
    /** True when the run was stopped by the signal; re-run to resume (finished models are not redone). */
    stopped: boolean;
    /** True when every model's run is complete. */
    complete: boolean;
};

/**
 * Runs every model on the same input rows, one model after the other (each model's engine is disposed before the
 * next loads), each into its own complete output dir `<output>/models/<id>/` (checkpointed on its own: a crash in
 * one model never redoes another). `<output>/compare.json` lists the models; once all are complete, the merged view
 * `<output>/compare.<format>` has one row per idx with `response_<id>` and `error_<id>` per model. Re-running resumes:
 * a finished model whose settings did not change is skipped, the others resume (or refuse a change, naming it).
 */
export async function compareModels(options: CompareOptions): Promise<CompareResult> {
    return (await compareModelsWithRows(options)).result;
}

/**
 * `compareModels`, also giving the comparison's rows as read for the merged view (null until every model is
 * complete), so that a caller that uses them (a job's compare step) does not read every model's shards again.
 */
export async function compareModelsWithRows(options: CompareOptions): Promise<{result: CompareResult; comparison: Comparison | null}> {
    const {models: modelList, ...base} = options;
    const specs = assignModelIds(modelList, "options.models", base.backend);
    const output = base.output;
    if (typeof output !== "string" || output.length === 0) throw new AirlabelError("options.output must be a non-empty string", {exitCode: 2});
    if (base.input === "-")
        throw new CompareError("a comparison reads its input once per model, which stdin cannot do; save the rows to a file and pass it with --input", {
            exitCode: 2
        });
    if (base.retryFailed === true)
        throw new CompareError(
            `--retry-failed retries one run's failed rows: give it one model's dir, e.g. --output ${path.join(output, "models", "<id>")} with that model's --model`,
            {exitCode: 2}
        );
    if (base.oneToMany === true)
        throw new CompareError(
            "--one-to-many is for a single model's run (a comparison lines the models' answers up one row per input row); run each model with its own --output",
            {exitCode: 2}
        );
    const log = base.onLog ?? (() => {});
    await fs.mkdir(output, {recursive: true});
    if ((await loadManifest(output)) !== undefined)
        throw new CompareError(`${output} holds a single-model run (${MANIFEST_FILE}); give the comparison its own --output`);
    if (base.overwrite === true) await removeComparison(output);
    const format = base.format ?? "jsonl";
    const recorded = readComparisonFile(output);
    const planned: RecordedComparisonModel[] = specs.map((spec) => {
        const backend = spec.backend ?? base.backend ?? "local";
        const remote = isRemoteBackend(backend);
        const baseUrl = spec.baseUrl ?? (remote ? base.baseUrl : undefined);
        return {id: spec.id, model: spec.model, backend: remote ? "openai" : "local", ...(baseUrl !== undefined ? {baseUrl} : {}), dir: `models/${spec.id}`};
    });
    if (recorded !== undefined) checkSameModels(output, recorded, planned, format);
    // a mistyped path fails now, not after the models before it have run
    for (const model of planned) {
        if (model.backend === "local" && !fsSync.existsSync(model.model))
            throw new CompareError(`model ${model.id}: model file ${model.model} not found; check the path (no model has run)`);
    }
    const now = new Date().toISOString();
    const file: ComparisonFile = {
        format: "airlabel-comparison",
        version: 1,
        models: planned.map((model, i) => ({...model, ...(recorded?.models[i]?.key !== undefined ? {key: recorded.models[i]!.key} : {})})),
        outputFormat: format,
        merged: null,
        createdAt: recorded?.createdAt ?? now,
        updatedAt: now
    };
    await writeComparisonFile(output, file);

    const results: CompareModelResult[] = [];
    let halted = false;
    for (const [i, spec] of specs.entries()) {
        const entry = file.models[i]!;
        const {id, name: _name, ...overrides} = spec;
        const modelOptions: AnnotateOptions = {...base, ...overrides, output: path.join(output, entry.dir)};
        if (overrides.backend === "local") for (const name of REMOTE_ONLY_OPTIONS) delete modelOptions[name];
        if (halted || base.signal?.aborted === true) {
            halted = true;
            results.push({id, model: spec.model, skipped: false, result: null});
            continue;
        }
        const key = await skipKeyOf(modelOptions);
        const manifest = await loadManifest(modelOptions.output);
        if (manifest?.complete === true && key !== null && entry.key === key) {
            log(`model ${id} (${i + 1}/${specs.length}): ${spec.model} already complete in ${modelOptions.output}; skipped`);
            results.push({id, model: spec.model, skipped: true, result: null});
            continue;
        }
        log(`model ${id} (${i + 1}/${specs.length}): ${spec.model}`);
        let result: AnnotateResult;
        try {
            result = await annotate({...modelOptions, onLog: (line, level) => log(`[${id}] ${line}`, level)});
        } catch (err) {
            if (err instanceof AirlabelError) throw new CompareError(`model ${id}: ${err.message}`, {exitCode: err.exitCode, cause: err});
            throw err;
        }
        results.push({id, model: spec.model, skipped: false, result});
        if (!result.complete) {
            halted = true;
            if (!result.stopped) log(`model ${id} is incomplete; the models after it wait for the next run`);
            continue;
        }
        if (key !== null) {
            entry.key = key;
            file.updatedAt = new Date().toISOString();
            await writeComparisonFile(output, file);
        }
    }
    let merged: string | null = null;
    let rows = 0;
    let comparison: Comparison | null = null;
    if (!halted) {
        comparison = await readComparison(output);
        const written = await writeMergedView(output, format, comparison);
        merged = written.file;
        rows = written.rows;
        file.merged = path.basename(written.file);
        file.updatedAt = new Date().toISOString();
        await writeComparisonFile(output, file);
        log(`comparison: ${rows} rows, ${specs.length} models; merged view ${merged}`);
    }
    return {result: {output, models: results, merged, rows, stopped: halted && base.signal?.aborted === true, complete: !halted}, comparison};
}

function checkSameModels(output: string, recorded: ComparisonFile, planned: readonly RecordedComparisonModel[], format: string): void {
    const describe = (models: readonly RecordedComparisonModel[]) =>
        models.map((m) => `${m.id}=${m.model}${m.backend === "openai" ? ` (${m.baseUrl ?? "openai"})` : ""}`).join(", ");
    const was = describe(recorded.models);
    const now = describe(planned);
    if (was !== now)
        throw new CompareError(
            `${path.join(output, "compare.json")}: the models differ from the comparison in this dir (was ${was}; now ${now}); pass the same models to resume, or --overwrite to start over`
        );
    if (recorded.outputFormat !== format)
        throw new CompareError(
            `${path.join(output, "compare.json")}: the format differs from the comparison in this dir (was ${recorded.outputFormat}; now ${format}); pass --format ${recorded.outputFormat} to resume, or --overwrite to start over`
        );
}

/** `--overwrite`: remove what a comparison wrote (its model dirs, compare.json, the merged view), nothing else. */
async function removeComparison(output: string): Promise<void> {
    await fs.rm(path.join(output, "models"), {recursive: true, force: true});
    for (const name of ["compare.json", "compare.jsonl", "compare.parquet", "compare.arrow"]) await fs.rm(path.join(output, name), {force: true});
}
