import fs from "node:fs";
import {InvalidOptionError} from "../AirlabelError.js";
import type {CompareModelSpec} from "../options/CompareOptions.js";
import type {RunJobOptions} from "../options/RunJobOptions.js";
import type {OutputFormat} from "../output/OutputRow.js";
import {JobError} from "./JobError.js";
import {checkJob, readJobFile} from "./readJobFile.js";
import {RowFilter} from "./RowFilter.js";
import {isRemoteBackend} from "../options/isRemoteBackend.js";

/** One step of a job, checked: its kind, filter and model(s). */
export type StepPlan = {
    index: number;
    name: string;
    type: "annotate" | "filter" | "generate";
    where: RowFilter | null;
    /** The step as the job file gives it. */
    step: Record<string, unknown>;
    /** The models a comparison step runs; undefined for a single-model step. */
    models: (string | CompareModelSpec)[] | undefined;
    /** The model of a single-model step (the override, the step's, else the job's). */
    model: string | undefined;
};

/** A job read and checked before any step runs. */
export type JobPlan = {
    /** The job's name in messages. */
    origin: string;
    /** The options given over the job's own (CLI flags). */
    overrides: Record<string, unknown>;
    /** The job's top-level options with the overrides applied. */
    top: Record<string, unknown>;
    /** The job's output dir. */
    output: string;
    /** The job's input file ("" when a generate step makes the rows). */
    input: string;
    format: OutputFormat;
    steps: StepPlan[];
    /** The job's options every step starts from (everything but steps, input, output and models). */
    jobDefaults: Record<string, unknown>;
};

/** Row selection options that apply to the job's input (the first step), not to the rows a later step is handed. */
export const inputOnly = ["maxRows", "shuffleSeed", "skipInvalidRows", "inputFormat", "dedup"];

/** Keys only a generate step takes. */
const generateOnly = ["prompts", "count", "prefix", "prefixFile"];

/** Reads and checks a job: names, step kinds, filters, models (a missing local model file fails here, before any step runs). */
export function planJob(options: RunJobOptions): JobPlan {
    const origin = options.origin ?? (typeof options.job === "string" ? options.job : "job");
    const job = typeof options.job === "string" ? readJobFile(options.job) : checkJob(options.job, origin);
    const overrides = {...(options.overrides ?? {})};
    if (Array.isArray(overrides.model))
        throw new InvalidOptionError(
            `--model is given ${overrides.model.length} times; a multi-step job takes its models from its steps (models: [...] in a step compares them)`
        );
    if (overrides.retryFailed === true || job.retryFailed === true)
        throw new InvalidOptionError(
            "--retry-failed retries one run's failed rows: give it a step's dir as --output (steps/<name>) with that step's options, not the whole job"
        );
    if (overrides.oneToMany === true || job.oneToMany === true)
        throw new InvalidOptionError(
            "--one-to-many is for a single run (the steps of a job pass their rows on one per input row); run it without steps:, or as its own airlabel run over the job's result"
        );
    const rawSteps = job.steps as Record<string, unknown>[] | undefined;
    if (rawSteps === undefined || rawSteps.length === 0) throw new JobError(`${origin}: has no steps; list them under steps:`);
    const top = {...job, ...overrides};
    const output = top.output;
    if (typeof output !== "string" || output.length === 0)
        throw new InvalidOptionError(`${origin}: output is missing; set "output" in the job file or pass --output`);
    const generated = (rawSteps[0]!.type ?? "annotate") === "generate";
    const input = generated ? "" : top.input;
    if (typeof input !== "string" || (!generated && input.length === 0))
        throw new InvalidOptionError(
            `${origin}: input is missing; set "input" in the job file or pass --input (or make the rows with a first step of type: generate)`
        );
    if (input === "-")
        throw new InvalidOptionError(`${origin}: a multi-step job reads its input more than once, which stdin cannot do; save the rows to a file`);
    const names = new Set<string>();
    const steps = rawSteps.map((step, i): StepPlan => {
        const name = step.name as string;
        if (names.has(name)) throw new JobError(`${origin}: steps[${i}].name: "${name}" is used by an earlier step; give each step its own name`);
        names.add(name);
        return planStep(step, i, `${origin}: steps[${i}]`, job, overrides);
    });
    checkModelsExist(origin, steps, top.backend);
    const {steps: _steps, input: _input, output: _output, models: _topModels, model: _topModel, ...jobDefaults} = job;
    return {origin, overrides, top, output, input, format: (top.format ?? "jsonl") as OutputFormat, steps, jobDefaults};
}

function planStep(step: Record<string, unknown>, index: number, at: string, job: Record<string, unknown>, overrides: Record<string, unknown>): StepPlan {
    const type = (step.type ?? "annotate") as string;
    if (type === "generate") checkGenerateStep(step, index, at);
    else for (const key of generateOnly) if (key in step) throw new JobError(`${at}.${key}: only a generate step (type: generate) takes ${key}`);
    const where = step.where === undefined ? null : RowFilter.parse(step.where, `${at}.where`);
    if (type === "filter") {
        if (where === null) throw new JobError(`${at}: a filter step needs where: (which rows to keep)`);
        const extra = Object.keys(step).filter((key) => !["name", "type", "where"].includes(key));
        if (extra.length > 0) throw new JobError(`${at}.${extra[0]}: a filter step runs no model; it takes only name, type and where`);
    }
    const models =
        type === "filter" || type === "generate"
            ? undefined
            : ((step.models ?? (step.model === undefined && overrides.model === undefined ? job.models : undefined)) as
                  | (string | CompareModelSpec)[]
                  | undefined);
    const model = type === "filter" || models !== undefined ? undefined : ((overrides.model ?? step.model ?? job.model) as string | undefined);
    return {index, name: step.name as string, type: type as StepPlan["type"], where, step, models, model};
}

/** A local model file that is not there fails the job before any step runs (not hours later, when its step comes). */
function checkModelsExist(origin: string, plans: readonly StepPlan[], topBackend: unknown): void {
    for (const plan of plans) {
        const stepBackend = plan.step.backend ?? topBackend;
        const entries =
            plan.models?.map((entry) =>
                typeof entry === "string" ? {model: entry, backend: stepBackend} : {model: entry.model, backend: entry.backend ?? stepBackend}
            ) ?? (plan.model !== undefined ? [{model: plan.model, backend: stepBackend}] : []);
        for (const entry of entries) {
            if (isRemoteBackend(entry.backend) || typeof entry.model !== "string") continue;
            if (!fs.existsSync(entry.model))
                throw new JobError(`${origin}: steps[${plan.index}]: model file ${entry.model} not found; check the path (no step has run)`);
        }
    }
}

function checkGenerateStep(step: Record<string, unknown>, index: number, at: string): void {
    if (index !== 0) throw new JobError(`${at}.type: a generate step makes the job's rows, so it must be the first step`);
    for (const key of ["where", "models", "template"])
        if (key in step)
            throw new JobError(`${at}.${key}: a generate step takes no ${key} (it makes its rows from prompt: or prompts:; filter them in a later step)`);
    if ((step.prompt === undefined) === (step.prompts === undefined))
        throw new JobError(`${at}: a generate step needs one of prompt: (a prompt or a list) and prompts: (a prompts file)`);
}
