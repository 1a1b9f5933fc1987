import fs from "node:fs";
import path from "node:path";
import {AirlabelError, InvalidOptionError} from "../AirlabelError.js";
import {readText, resolveJobOptions} from "./jobOptions.js";
import {compareModelsWithRows, type CompareResult} from "../compare/compareModels.js";
import type {Comparison} from "../compare/readComparison.js";
import {writeFileDurable} from "../files/durableFs.js";
import type {CompareModelSpec} from "../options/CompareOptions.js";
import type {LogLevel} from "../options/AnnotateOptions.js";
import type {RunJobOptions} from "../options/RunJobOptions.js";
import {loadManifest} from "../output/Manifest.js";
import type {OutputFormat} from "../output/OutputRow.js";
import {readOutput} from "../output/readOutput.js";
import {annotate, type AnnotateResult} from "../pipeline/annotate.js";
import {generate} from "../pipeline/generate.js";
import {skipKeyOf} from "../pipeline/skipKeyOf.js";
import type {GenerateOptions} from "../options/GenerateOptions.js";
import {inputColumnsOf, readJobInput, viewOf, writeJobResult, writeStepInput, type JobRows} from "./jobRows.js";
import {checkJob, readJobFile} from "./readJobFile.js";
import {RowFilter} from "./RowFilter.js";

/** Raised when a job's steps do not fit together (a repeated name, a filter without where, a step without a model; exit 2), or a step failed (its own exit code, the step named). */
export class JobError extends AirlabelError {
    public constructor(message: string, options: {exitCode?: number, cause?: unknown} = {}) {
        super(message, {exitCode: 2, ...options});
    }
}

export type JobStepResult = {
    name: string,
    type: "annotate" | "compare" | "filter" | "generate",
    /** The step's output dir (`<output>/steps/<name>`); null for a filter step. */
    dir: string | null,
    /** Rows the step was given (after its where). */
    inputRows: number,
    /** Rows that move on to the next step: answered (by every model, for a comparison), or kept by the filter. */
    passedRows: number,
    /** True when the step had finished in an earlier run with the same settings and was not run again. */
    skipped: boolean,
    /** One line for people. */
    summary: string,
    /** The annotate run (single-model steps run in this call). */
    run?: AnnotateResult,
    /** The comparison (steps with `models:`). */
    comparison?: CompareResult
};

export type RunJobResult = {
    output: string,
    steps: JobStepResult[],
    /** `<output>/result.<format>`: one row per idx that passed every step, a column per model step; null until the job is complete. */
    result: string | null,
    /** Rows in the result. */
    rows: number,
    complete: boolean,
    stopped: boolean
};

type JobStateFile = {format: "airlabel-job", version: 1, steps: Record<string, {key: string}>};

/** Row selection options that apply to the job's input (the first step), not to the rows a later step is handed. */
const inputOnly = ["maxRows", "shuffleSeed", "skipInvalidRows", "inputFormat", "dedup"];

/**
 * Runs a multi-step job: its steps in order, each into `<output>/steps/<name>/` with its own shards and resume.
 * A step's rows are the job's input rows joined by idx (the original row's idx, through every step) with the
 * answers of the earlier steps, which its template reads as `{steps.<name>.annotation...}` (a comparison step:
 * `{steps.<name>.response_<model>}`); only rows every earlier step answered (and its `where:` keeps) are handed on.
 * A finished step is skipped when nothing about it changed; a changed step is refused with the difference named.
 * At the end `<output>/result.<format>` holds the rows that passed every step.
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
    const origin = options.origin ?? (typeof options.job === "string" ? options.job : "job");
    const job = typeof options.job === "string" ? readJobFile(options.job) : checkJob(options.job, origin);
    const overrides = {...options.overrides ?? {}};
    if (Array.isArray(overrides.model)) throw new InvalidOptionError(`--model is given ${overrides.model.length} times; a multi-step job takes its models from its steps (models: [...] in a step compares them)`);
    const rawSteps = job.steps as Record<string, unknown>[] | undefined;
    if (rawSteps === undefined || rawSteps.length === 0) throw new JobError(`${origin}: has no steps; list them under steps:`);
    const top = {...job, ...overrides};
    const output = top.output;
    if (typeof output !== "string" || output.length === 0) throw new InvalidOptionError(`${origin}: output is missing; set "output" in the job file or pass --output`);
    const generated = (rawSteps[0]!.type ?? "annotate") === "generate";
    const input = generated ? "" : top.input;
    if (typeof input !== "string" || (!generated && input.length === 0)) throw new InvalidOptionError(`${origin}: input is missing; set "input" in the job file or pass --input (or make the rows with a first step of type: generate)`);
    if (input === "-") throw new InvalidOptionError(`${origin}: a multi-step job reads its input more than once, which stdin cannot do; save the rows to a file`);
    const log = options.onLog ?? (() => {});
    const format = (top.format ?? "jsonl") as OutputFormat;

    const names = new Set<string>();
    const plans = rawSteps.map((step, i) => {
        const at = `${origin}: steps[${i}]`;
        const name = step.name as string;
        if (names.has(name)) throw new JobError(`${at}.name: "${name}" is used by an earlier step; give each step its own name`);
        names.add(name);
        const type = (step.type ?? "annotate") as string;
        if (type === "generate") checkGenerateStep(step, i, at);
        else for (const key of generateOnly) if (key in step) throw new JobError(`${at}.${key}: only a generate step (type: generate) takes ${key}`);
        const where = step.where === undefined ? null : RowFilter.parse(step.where, `${at}.where`);
        if (type === "filter") {
            if (where === null) throw new JobError(`${at}: a filter step needs where: (which rows to keep)`);
            const extra = Object.keys(step).filter((key) => !["name", "type", "where"].includes(key));
            if (extra.length > 0) throw new JobError(`${at}.${extra[0]}: a filter step runs no model; it takes only name, type and where`);
        }
        const models = type === "filter" || type === "generate" ? undefined
            : (step.models ?? (step.model === undefined && overrides.model === undefined ? job.models : undefined)) as (string | CompareModelSpec)[] | undefined;
        const model = type === "filter" || models !== undefined ? undefined : (overrides.model ?? step.model ?? job.model) as string | undefined;
        return {index: i, name, type: type as "annotate" | "filter" | "generate", where, step, models, model};
    });
    checkModelsExist(origin, plans, top.backend);

    await fs.promises.mkdir(output, {recursive: true});
    const stateFile = path.join(output, "job.json");
    const state = readState(stateFile);
    const {steps: _steps, input: _input, output: _output, models: _topModels, model: _topModel, ...jobDefaults} = job;
    const results: JobStepResult[] = [];
    const modelSteps: string[] = [];
    let rows: JobRows | null = null;
    let halted = false;
    /** Runs one single-model step unless it finished before with the same key; null when it did not complete (stopped). */
    const runSingle = async (name: string, type: "annotate" | "generate", dir: string, key: string | null, overwrite: boolean, work: () => Promise<AnnotateResult>): Promise<{run?: AnnotateResult} | null> => {
        const manifest = await loadManifest(dir);
        if (manifest?.complete === true && key !== null && state.steps[name]?.key === key && !overwrite) {
            log(`[${name}] already complete in ${dir}; skipped`);
            return {};
        }
        const run = await work();
        if (!run.complete) {
            results.push({name, type, dir, inputRows: run.totalRows, passedRows: 0, skipped: false, summary: run.stopped ? "stopped" : "incomplete", run});
            return null;
        }
        if (key !== null) {
            state.steps[name] = {key};
            await writeFileDurable(stateFile, JSON.stringify(state, null, 2) + "\n");
        }
        return {run};
    };
    for (const plan of plans) {
        const stepLog = (line: string, level?: LogLevel) => log(`[${plan.name}] ${line}`, level);
        const inStep = async <T>(work: () => Promise<T>): Promise<T> => {
            try {
                return await work();
            } catch (err) {
                if (err instanceof AirlabelError && !(err instanceof JobError)) throw new JobError(`step ${plan.name}: ${err.message}`, {exitCode: err.exitCode, cause: err});
                throw err;
            }
        };
        if (options.signal?.aborted === true) {
            halted = true;
            break;
        }
        if (plan.type === "filter") {
            rows ??= await readJobInput(input, {skipInvalidRows: top.skipInvalidRows === true, ...(typeof top.inputFormat === "string" ? {inputFormat: top.inputFormat} : {})});
            const before = rows.size;
            rows = filterRows(rows, plan.where!);
            results.push({name: plan.name, type: "filter", dir: null, inputRows: before, passedRows: rows.size, skipped: false, summary: `kept ${rows.size} of ${before} rows (${plan.where!.source})`});
            stepLog(`kept ${rows.size} of ${before} rows`);
            continue;
        }
        const stepDir = path.join(output, "steps", plan.name);
        const common = {signal: options.signal, onLog: stepLog, ...(options.onProgress !== undefined ? {onProgress: options.onProgress} : {})};
        if (plan.type === "generate") {
            const {name: _n, type: _t, prompt, prompts, count, prefix, prefixFile, ...own} = plan.step;
            const raw: Record<string, unknown> = {...jobDefaults, ...own, ...overrides, output: stepDir, model: plan.model};
            for (const key of ["quiet", "json", "input", "template", "prompt", ...inputOnly]) if (!(key in own)) delete raw[key];
            if (raw.model === undefined) throw new JobError(`${origin}: steps[${plan.index}]: no model; set model: in the step or the job, or pass --model`);
            const resolved = await inStep(async () => resolveJobOptions(raw, {}, ["model", "output"]));
            const {input: _input, template: _template, templateOrigin: _origin, ...base} = resolved;
            const generateOptions: GenerateOptions = {
                ...base,
                ...(prompt !== undefined ? {prompts: typeof prompt === "string" ? [prompt] : prompt as string[]} : {promptsFile: prompts as string}),
                ...(count !== undefined ? {count: count as number} : {}),
                ...(prefix !== undefined ? {prefix: prefix as string} : prefixFile !== undefined ? {prefix: await inStep(async () => readText(prefixFile as string, "prefixFile"))} : {})
            };
            const what = JSON.stringify({prompt: prompt ?? null, prompts: prompts !== undefined ? await fs.promises.readFile(prompts as string, "utf8").catch(() => null) : null, count: count ?? 1, prefix: generateOptions.prefix ?? null});
            const key = await skipKeyOf({...resolved, input: "(generated)"}, what);
            const single = await runSingle(plan.name, "generate", stepDir, key, resolved.overwrite === true, () => inStep(() => generate({...generateOptions, ...common})));
            modelSteps.push(plan.name);
            if (single === null) {
                halted = true;
                break;
            }
            rows = await singleAnswers(stepDir, plan.name, null);
            results.push({
                name: plan.name, type: "generate", dir: stepDir, inputRows: single.run?.totalRows ?? rows.size, passedRows: rows.size, skipped: single.run === undefined,
                summary: `${single.run === undefined ? "already complete, skipped; " : ""}${rows.size} rows generated`, ...(single.run !== undefined ? {run: single.run} : {})
            });
            continue;
        }
        const {name: _name, type: _type, where: _where, models: stepModels, ...stepOptions} = plan.step;
        const raw: Record<string, unknown> = {...jobDefaults, ...stepOptions, ...overrides, output: stepDir};
        delete raw.quiet;
        delete raw.json;
        const {models} = plan;
        if (models !== undefined) delete raw.model;
        else raw.model = plan.model;
        if (models === undefined && raw.model === undefined)
            throw new JobError(`${origin}: steps[${plan.index}]: no model; set model: (or models: to compare) in the step or the job, or pass --model`);
        let handed = 0;
        if (rows === null && plan.where === null) {
            raw.input = input;
        } else {
            rows ??= await readJobInput(input, {skipInvalidRows: top.skipInvalidRows === true, ...(typeof top.inputFormat === "string" ? {inputFormat: top.inputFormat} : {})});
            const selected: JobRows = plan.where === null ? rows : filterRows(rows, plan.where);
            for (const row of selected.values()) {
                if ("steps" in row.columns || "idx" in row.columns)
                    throw new JobError(`${origin}: the input has a column named "${"steps" in row.columns ? "steps" : "idx"}", which a multi-step job uses for the earlier steps' answers; rename the column`);
            }
            const inputFile = path.join(output, "inputs", `${plan.name}.jsonl`);
            await writeStepInput(inputFile, selected);
            handed = selected.size;
            raw.input = inputFile;
            raw.inputFormat = "jsonl";
            raw.idxColumn = "idx";
            // later steps see the input columns the first step kept; the joined `steps` column is for templates only
            raw.keepColumns = stepOptions.keepColumns ?? columnNamesOf(selected);
            for (const key of inputOnly) if (!(key in stepOptions)) delete raw[key];
            if (selected.size === 0) {
                stepLog("no rows to run (the earlier steps and the filters left none)");
                results.push({name: plan.name, type: models !== undefined ? "compare" : "annotate", dir: stepDir, inputRows: 0, passedRows: 0, skipped: false, summary: "no rows left to run"});
                rows = selected;
                modelSteps.push(plan.name);
                continue;
            }
        }
        const resolved = await inStep(async () => resolveJobOptions(raw, {}, models !== undefined ? ["input", "output"] : ["input", "model", "output"]));
        modelSteps.push(plan.name);
        if (models !== undefined) {
            const {model: _model, ...base} = resolved;
            // the rows the merged view was written from: every model's shards are read once
            const {result: comparison, comparison: compared} = await inStep(() => compareModelsWithRows({...base, models, ...common}));
            const passed: JobRows | null = compared !== null ? compareAnswers(compared, plan.name, rows) : null;
            results.push({
                name: plan.name, type: "compare", dir: stepDir, inputRows: rows === null ? comparison.rows : handed, passedRows: passed?.size ?? 0, skipped: comparison.models.every((m) => m.skipped),
                summary: comparison.complete ? `${comparison.models.length} models on ${comparison.rows} rows; ${passed!.size} answered by every model` : "incomplete", comparison
            });
            if (!comparison.complete) {
                halted = true;
                break;
            }
            rows = passed!;
            continue;
        }
        const key = await skipKeyOf(resolved);
        const single = await runSingle(plan.name, "annotate", stepDir, key, resolved.overwrite === true, () => inStep(() => annotate({...resolved, ...common})));
        if (single === null) {
            halted = true;
            break;
        }
        const {run} = single;
        const before = rows?.size;
        rows = await singleAnswers(stepDir, plan.name, rows);
        const total = run?.totalRows ?? before ?? rows.size;
        results.push({
            name: plan.name, type: "annotate", dir: stepDir, inputRows: total, passedRows: rows.size, skipped: run === undefined,
            summary: `${run === undefined ? "already complete, skipped; " : ""}${rows.size} of ${total} rows answered`, ...(run !== undefined ? {run} : {})
        });
    }
    if (halted || rows === null) {
        return {output, steps: results, result: null, rows: 0, complete: false, stopped: options.signal?.aborted === true};
    }
    for (const name of modelSteps) {
        for (const row of rows.values()) {
            if (name in row.columns) throw new JobError(`${origin}: step "${name}" has the name of an input column, which the result would overwrite; rename the step`);
            break;
        }
    }
    const written = await writeJobResult(output, format, rows, modelSteps);
    log(`job: ${written.rows} rows passed every step; result ${written.file}`);
    return {output, steps: results, result: written.file, rows: written.rows, complete: true, stopped: false};
}

/** A local model file that is not there fails the job before any step runs (not hours later, when its step comes). */
function checkModelsExist(origin: string, plans: readonly {index: number, step: Record<string, unknown>, models?: (string | CompareModelSpec)[] | undefined, model?: string | undefined}[], topBackend: unknown): void {
    for (const plan of plans) {
        const stepBackend = plan.step.backend ?? topBackend;
        const entries = plan.models?.map((entry) => typeof entry === "string" ? {model: entry, backend: stepBackend} : {model: entry.model, backend: entry.backend ?? stepBackend})
            ?? (plan.model !== undefined ? [{model: plan.model, backend: stepBackend}] : []);
        for (const entry of entries) {
            if (entry.backend === "openai" || entry.backend === "vllm" || typeof entry.model !== "string") continue;
            if (!fs.existsSync(entry.model))
                throw new JobError(`${origin}: steps[${plan.index}]: model file ${entry.model} not found; check the path (no step has run)`);
        }
    }
}

/** Keys only a generate step takes. */
const generateOnly = ["prompts", "count", "prefix", "prefixFile"];

function checkGenerateStep(step: Record<string, unknown>, index: number, at: string): void {
    if (index !== 0) throw new JobError(`${at}.type: a generate step makes the job's rows, so it must be the first step`);
    for (const key of ["where", "models", "template"])
        if (key in step) throw new JobError(`${at}.${key}: a generate step takes no ${key} (it makes its rows from prompt: or prompts:; filter them in a later step)`);
    if ((step.prompt === undefined) === (step.prompts === undefined))
        throw new JobError(`${at}: a generate step needs one of prompt: (a prompt or a list) and prompts: (a prompts file)`);
}

function readState(file: string): JobStateFile {
    try {
        const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as JobStateFile;
        if (parsed.format === "airlabel-job" && typeof parsed.steps === "object" && parsed.steps !== null) return parsed;
    } catch {
        // no state yet (or a torn one): every step is checked by its own run
    }
    return {format: "airlabel-job", version: 1, steps: {}};
}

function filterRows(rows: JobRows, where: RowFilter): JobRows {
    return new Map([...rows].filter(([idx, row]) => where.test(viewOf(idx, row))));
}

function columnNamesOf(rows: JobRows): string[] {
    const names = new Set<string>();
    for (const row of rows.values()) for (const name of Object.keys(row.columns)) names.add(name);
    return [...names];
}

/** The rows a single-model step answered, with `steps.<name> = {annotation, model}`; the first step's rows come from its output. */
async function singleAnswers(dir: string, name: string, rows: JobRows | null): Promise<JobRows> {
    const {rows: answered} = await readOutput(dir);
    const next: JobRows = new Map();
    for (const record of answered) {
        const idx = Number(record.idx);
        const previous = rows === null ? {columns: inputColumnsOf(record), steps: {}} : rows.get(idx);
        if (previous === undefined) continue;
        next.set(idx, {columns: previous.columns, steps: {...previous.steps, [name]: {annotation: record.annotation ?? null, model: record.model ?? null}}});
    }
    return next;
}

/** The rows every model of a comparison step answered, with `steps.<name> = {response_<model>: answer, ...}`. */
function compareAnswers(comparison: Comparison, name: string, rows: JobRows | null): JobRows {
    const next: JobRows = new Map();
    for (const row of comparison.rows) {
        if (!comparison.models.every((model) => row.responses[model.id]?.ok === true)) continue;
        const previous = rows === null ? {columns: row.columns, steps: {}} : rows.get(row.idx);
        if (previous === undefined) continue;
        const answers = Object.fromEntries(comparison.models.map((model) => [`response_${model.id}`, row.responses[model.id]!.annotation]));
        next.set(row.idx, {columns: previous.columns, steps: {...previous.steps, [name]: answers}});
    }
    return next;
}
