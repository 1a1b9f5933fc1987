import type {Command} from "commander";
import {InvalidOptionError} from "../../AirlabelError.js";
import {compareModels, type CompareResult} from "../../compare/compareModels.js";
import {isComparisonDir} from "../../compare/readComparison.js";
import {readJobFile} from "../../jobs/readJobFile.js";
import type {RunJobResult} from "../../jobs/JobResult.js";
import {runJob} from "../../jobs/runJob.js";
import type {LogLevel} from "../../options/AnnotateOptions.js";
import type {CompareModelSpec} from "../../options/CompareOptions.js";
import {annotate, type AnnotateResult} from "../../pipeline/annotate.js";
import {recordedOptions} from "../../pipeline/recordedConfig.js";
import type {AnnotateOptions} from "../../options/AnnotateOptions.js";
import {resolveJobOptions} from "../../jobs/jobOptions.js";
import {addRunOptions} from "../jobOptions.js";
import {exitOnErrorRows} from "../exitOnErrorRows.js";
import {ProgressPrinter} from "../ProgressPrinter.js";
import {formatProbability} from "../../handoff/formatFigure.js";

export function registerRunCommand(program: Command): void {
    addRunOptions(
        program
            .command("run")
            .description("annotate a dataset with a local GGUF model or an OpenAI-compatible server (resumable: re-run the same command to continue)")
    )
        .addHelpText(
            "after",
            `
Examples:
  $ airlabel run -i reviews.jsonl -m model.gguf -o out/reviews -t template.txt -s schema.json
  $ airlabel run -i data.parquet -m model.gguf -o out/sent -p "Sentiment of: {text}" --choices positive,negative,neutral
  $ airlabel run --config examples/classify/job.yaml --model model.gguf --parallel 16
  $ airlabel run --config examples/classify/job.yaml --backend vllm --base-url http://gpu1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --api-key-env VLLM_API_KEY --concurrency 128
  $ airlabel run -i reviews.jsonl --model a.gguf --model b.gguf -o out/compare -p "Sentiment of: {text}" --choices positive,negative
  $ AIRLABEL_MODEL=a.gguf AIRLABEL_MODEL_B=b.gguf AIRLABEL_JUDGE_MODEL=c.gguf airlabel run examples/compare-judge/job.yaml`
        )
        .option(
            "--from <output-dir>",
            "run again exactly what the run in that output dir recorded (its template, schema, model, sampling, ...); give -o for a new output dir, flags override"
        )
        .argument("[job]", "job file (.yaml/.yml/.json): options in camelCase, or named steps (see schemas/job.schema.json); same as --config")
        .action(async (jobFile: string | undefined, flags: Record<string, unknown>) => {
            if (jobFile !== undefined && flags.config !== undefined)
                throw new InvalidOptionError(`the job file is given twice (${jobFile} and --config ${String(flags.config)}); give it once`);
            if (typeof flags.from === "string") return runFrom(flags.from, flags, jobFile);
            const file = jobFile ?? (typeof flags.config === "string" ? flags.config : undefined);
            const job = file !== undefined ? readJobFile(file) : {};
            const given = Object.fromEntries(Object.entries(flags).filter(([name, value]) => value !== undefined && name !== "config"));
            const quiet = (given.quiet ?? job.quiet) === true;
            const json = (given.json ?? job.json) === true;
            const failOnErrors = (given.failOnErrors ?? job.failOnErrors) === true;
            if (job.steps !== undefined) {
                const result = await runWithSignals((signal) => runJob({job, origin: file!, overrides: given, signal, ...progressHooks(quiet)}));
                printJobSummary(result, json, quiet);
                if (result.stopped) process.exitCode = 130;
                else
                    await exitOnErrorRows(
                        failOnErrors,
                        result.steps.flatMap((step) => (step.dir !== null ? [step.dir] : []))
                    );
                return;
            }
            const models = Array.isArray(given.model)
                ? (given.model as string[])
                : job.models !== undefined
                  ? typeof given.model === "string"
                      ? [given.model]
                      : (job.models as (string | CompareModelSpec)[])
                  : undefined;
            if (models !== undefined) {
                const {models: _models, ...rest} = job;
                const options = resolveJobOptions({...given, model: undefined}, rest, ["input", "output"]);
                const {model: _model, ...base} = options;
                const result = await runWithSignals((signal) => compareModels({...base, models, signal, ...progressHooks(quiet)}));
                printCompareSummary(result, json, quiet);
                if (result.stopped) process.exitCode = 130;
                else await exitOnErrorRows(failOnErrors, [result.output]);
                return;
            }
            const options = resolveJobOptions(given, job);
            if (isComparisonDir(options.output))
                throw new InvalidOptionError(
                    `${options.output} holds a model comparison (compare.json); give a single-model run its own --output, or pass every --model of the comparison`
                );
            const result = await runWithSignals((signal) => annotate({...options, signal, ...progressHooks(quiet)}));
            printSummary(result, json, quiet);
            if (result.stopped) process.exitCode = 130;
            else await exitOnErrorRows(failOnErrors, [options.output]);
        });
}

/** `airlabel run --from DIR`: the options the run in DIR recorded, with the flags given over them; its own dir unless -o names another. */
async function runFrom(from: string, flags: Record<string, unknown>, jobFile: string | undefined): Promise<void> {
    if (jobFile !== undefined || flags.config !== undefined || Array.isArray(flags.model))
        throw new InvalidOptionError("--from runs one recorded run again: give no job file, --config or several --model with it");
    const {from: _from, ...rest} = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
    const given = resolveJobOptions(rest, {}, []);
    const options = {...(await recordedOptions(from)), ...given, output: given.output ?? from} as AnnotateOptions;
    const quiet = given.quiet === true;
    const result = await runWithSignals((signal) => annotate({...options, signal, ...progressHooks(quiet)}));
    printSummary(result, given.json === true, quiet);
    if (result.stopped) process.exitCode = 130;
    else await exitOnErrorRows(given.failOnErrors === true, [options.output]);
}

function printCompareSummary(result: CompareResult, json: boolean, quiet: boolean): void {
    if (json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
    }
    if (quiet) return;
    for (const model of result.models) {
        if (model.result !== null) {
            process.stderr.write(`airlabel: model ${model.id} (${model.model}):\n`);
            printSummary(model.result, false, false);
        } else {
            process.stderr.write(
                `airlabel: model ${model.id} (${model.model}): ${model.skipped ? "already complete, skipped" : "not run (the run stopped before it)"}\n`
            );
        }
    }
    process.stderr.write(
        result.complete
            ? `airlabel: comparison done: ${result.rows} rows x ${result.models.length} models; merged view ${result.merged} (one row per idx, response_<model> per model); models in ${result.output}/models/\n`
            : `airlabel: comparison ${result.stopped ? "stopped" : "incomplete"}; re-run the same command to resume (finished models are not redone)\n`
    );
}

function printJobSummary(result: RunJobResult, json: boolean, quiet: boolean): void {
    if (json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
    }
    if (quiet) return;
    for (const step of result.steps) process.stderr.write(`airlabel: step ${step.name} (${step.type}): ${step.summary}\n`);
    process.stderr.write(
        result.complete
            ? `airlabel: job done: ${result.rows} rows passed every step; result ${result.result} (one row per idx, a column per step); steps in ${result.output}/steps/\n`
            : `airlabel: job ${result.stopped ? "stopped" : "incomplete"}; re-run the same command to resume (finished steps are not redone)\n`
    );
}

type ProgressHooks = {onProgress: (p: Parameters<ProgressPrinter["update"]>[0]) => void; onLog: (line: string, level?: LogLevel) => void};

export function progressHooks(quiet: boolean): ProgressHooks {
    const printer = new ProgressPrinter(!quiet);
    return {
        onProgress: (progress) => printer.update(progress),
        // quiet hides facts, not warnings (a repair on resume, a retried server error)
        onLog: (line, level) => {
            if (quiet && level !== "warning") return;
            printer.end();
            process.stderr.write(`airlabel: ${line}\n`);
        }
    };
}

/**
 * SIGINT/SIGTERM stop feeding new rows; rows in flight finish and are committed. A second signal exits at once
 * (committed shards stay committed; the rows in flight are redone on resume).
 */
export async function runWithSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onSignal = (name: NodeJS.Signals) => {
        if (controller.signal.aborted) {
            process.stderr.write(`\nairlabel: ${name} again: exiting now; committed shards are kept, re-run the same command to resume\n`);
            // end by the signal itself (exit status 128 + its number), as without a handler: process.exit() would first
            // tear down the worker threads while their native decodes run, and node-llama-cpp's addon can abort then
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            process.kill(process.pid, name);
            return;
        }
        process.stderr.write(
            `\nairlabel: ${name}: finishing the rows in flight and committing them; re-run the same command to resume (rows still generating after the grace period, --stop-grace-ms, are left for it; ${name} again to exit now)\n`
        );
        controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        return await run(controller.signal);
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}

/**
 * What the local engine's decode loop saved: prompt tokens kept or shared instead of evaluated, answer tokens the
 * schema forced and those decoded with the token before them (jump-forward). None without the native counters.
 */
function decodingLines(result: AnnotateResult): string[] {
    const profile = result.stepProfile;
    if (profile === null || !profile.native || result.backend === "openai") return [];
    const shared =
        profile.sharedPrefixCopies > 0
            ? `, a ${profile.sharedPrefixTokens}-token shared prefix evaluated once and copied to ${profile.sharedPrefixCopies} sequences`
            : "";
    const forced =
        profile.forcedTokens > 0
            ? `; ${profile.forcedTokens} of ${result.generatedTokens} answer tokens forced by the schema, ${profile.jumpedTokens} of them decoded with the token before them (jump-forward)`
            : "";
    return [`decoding: ${result.evaluatedPromptTokens} of ${result.promptTokens} prompt tokens evaluated${shared}${forced}`];
}

/** The run's summary: as JSON on stdout with `json`, else as lines on stderr unless `quiet` (errors are printed by main). */
export function printSummary(result: AnnotateResult, json: boolean, quiet: boolean): void {
    if (json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
    }
    if (quiet) return;
    const lines = [
        `${result.complete ? "done" : result.stopped ? "stopped" : "incomplete"}: ${result.okRows} answered, ${result.failedRows} failed, ${result.resumedRows} already committed, of ${result.totalRows} rows`,
        `speed: ${result.rowsPerSecond.toFixed(2)} rows/s, ${result.generatedTokensPerSecond.toFixed(1)} generated + ${result.promptTokensPerSecond.toFixed(0)} prompt tokens/s (${result.generatedTokens} generated, ${result.promptTokens} prompt tokens in ${(result.generationMs / 1000).toFixed(1)} s; ` +
            (result.backend === "openai"
                ? `concurrency ${result.parallel}, ${result.requests} requests of which ${result.requestRetries} retries)`
                : `parallel ${result.parallel}, context ${result.contextSize})`),
        ...decodingLines(result),
        `time: ${(result.elapsedMs / 1000).toFixed(1)} s in all, of which ${(result.loadMs / 1000).toFixed(1)} s ${result.backend === "openai" ? "probing the server" : "loading the model"}`,
        `output: ${result.output}/ (data/ shards, errors/ for failed rows, manifest.json)`
    ];
    if (result.retry !== null)
        lines.splice(
            1,
            0,
            `retry: ${result.retry.rows} failed row${result.retry.rows === 1 ? "" : "s"} attempted again` +
                (result.retry.changes.length > 0 ? ` with ${result.retry.changes.join(", ")}` : " with the run's own settings")
        );
    const changes = result.inputChanges;
    if (changes !== null && changes.changed + changes.removed > 0) lines.splice(1, 0, inputChangesLine(changes));
    const confidence = result.confidence;
    if (confidence !== null)
        lines.splice(
            1,
            0,
            `confidence: mean ${formatProbability(confidence.mean)} over ${confidence.answers} answers; ` +
                `${confidence.below50} below 0.5${confidence.below50 > 0 ? ` (airlabel review ${result.output} --order confidence shows the least confident first)` : ""}`
        );
    if (result.stopped) lines.push("resume: re-run the same command");
    process.stderr.write(lines.map((line) => `airlabel: ${line}\n`).join(""));
}

/** The summary's line on rows changed or removed since an earlier run answered them. */
function inputChangesLine(changes: NonNullable<AnnotateResult["inputChanges"]>): string {
    const idx = (list: number[], count: number) => `idx ${list.join(", ")}${count > list.length ? ", ..." : ""}`;
    const parts: string[] = [];
    if (changes.changed > 0)
        parts.push(
            `${changes.changed} row${changes.changed === 1 ? "" : "s"} changed since answered (${idx(changes.changedIdx, changes.changed)}): ` +
                (changes.changedRows === "regenerate" ? "answered again" : "earlier answers kept (--changed-rows keep)")
        );
    if (changes.removed > 0)
        parts.push(
            `${changes.removed} answered row${changes.removed === 1 ? " is" : "s are"} no longer in the input (${idx(changes.removedIdx, changes.removed)}): kept in the output`
        );
    return `input: ${parts.join("; ")}`;
}
