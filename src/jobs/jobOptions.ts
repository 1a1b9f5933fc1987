import fs from "node:fs";
import {AirlabelError, InvalidOptionError} from "../AirlabelError.js";
import {oneLine} from "../oneLine.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";
import {parseParamFlags} from "../options/generationParams.js";
import {readJobFile} from "./readJobFile.js";

/** What a job file or the flags say about the command's own output, beside the run's options. */
export type RunOutputOptions = {
    /** Nothing on stderr but errors and warnings. Defaults to false. */
    quiet?: boolean;
    /** The summary as JSON on stdout. Defaults to false. */
    json?: boolean;
    /** Exit with code 3 when any row of the output ended in `errors/` (earlier runs included). Defaults to false. */
    failOnErrors?: boolean;
};

/** Raised when a file named by an option (config, template, schema) cannot be read or parsed. */
export class OptionFileError extends AirlabelError {}

/** Option values as a job file or the command line gives them, before files are read and lists split. */
export type JobValues = Record<string, unknown>;

/**
 * Merges `--config` (JSON or YAML) with the flags given (flags win) and reads the files options name.
 * Relative paths in a config file are taken from the current directory, like flags.
 */
export function resolveJobOptions(
    flags: JobValues,
    defaults: JobValues = {},
    required: readonly string[] = ["input", "model", "output"]
): AnnotateOptions & RunOutputOptions {
    return resolveMergedOptions(mergeJobConfig(flags, defaults), required);
}

/** `--config` (JSON or YAML) merged under the flags given (flags win) and over `defaults`; files are not read yet. */
export function mergeJobConfig(flags: JobValues, defaults: JobValues = {}): JobValues {
    const fromConfig = typeof flags.config === "string" ? readJobFile(flags.config) : {};
    const merged: JobValues = {...defaults, ...fromConfig, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))};
    delete merged.config;
    return merged;
}

/** Merged options (see mergeJobConfig) checked for the required ones, with the files they name read. */
export function resolveMergedOptions(merged: JobValues, required: readonly string[] = ["input", "model", "output"]): AnnotateOptions & RunOutputOptions {
    for (const key of ["steps", "models"]) {
        if (merged[key] !== undefined && required.includes("model"))
            throw new InvalidOptionError(`the job file has "${key}", which only \`airlabel run JOB\` runs; give it to airlabel run`);
    }
    if (Array.isArray(merged.model))
        throw new InvalidOptionError(`--model is given ${merged.model.length} times; only \`airlabel run\` compares models, give one --model here`);
    for (const name of required) {
        if (merged[name] === undefined) throw new InvalidOptionError(`--${name} is required (or set "${name}" in the --config file)`);
    }
    const options: JobValues = {...merged};
    if (merged.template !== undefined && merged.prompt !== undefined)
        throw new InvalidOptionError("--template and --prompt cannot be used together; give one template");
    if (typeof merged.template === "string") {
        options.template = readText(merged.template, "--template");
        options.templateOrigin = `template ${merged.template}`;
    } else if (typeof merged.prompt === "string") {
        options.template = merged.prompt;
        options.templateOrigin = "--prompt template";
    }
    delete options.prompt;
    if (typeof merged.systemFile === "string") options.system = readText(merged.systemFile, "--system-file");
    delete options.systemFile;
    if (typeof merged.schema === "string") {
        options.schema = readJson(merged.schema, "--schema");
        options.schemaOrigin = `schema ${merged.schema}`;
    }
    if (typeof merged.choices === "string") options.choices = choiceList(merged.choices);
    if (typeof merged.rename === "string") options.rename = renameMap(merged.rename);
    if (typeof merged.exclude === "string") options.exclude = [merged.exclude];
    if (typeof merged.keepColumns === "string") options.keepColumns = merged.keepColumns === "" ? [] : splitList(merged.keepColumns);
    if (typeof merged.devices === "string") options.devices = splitList(merged.devices);
    if (typeof merged.tensorSplit === "string") options.tensorSplit = splitList(merged.tensorSplit).map(Number);
    if (typeof merged.replicas === "string" && /^\d+$/u.test(merged.replicas)) options.replicas = Number(merged.replicas);
    if (typeof merged.stop === "string") options.stop = [merged.stop];
    const params = generationParams(merged);
    delete options.param;
    delete options.generation;
    if (params !== undefined) options.params = params;
    if (typeof merged.gpuLayers === "string") options.gpuLayers = /^\d+$/u.test(merged.gpuLayers) ? Number(merged.gpuLayers) : merged.gpuLayers;
    return options as AnnotateOptions & RunOutputOptions;
}

/**
 * The generation parameters a job file's `generation:` map and `--param key=value` flags give (the flags win, key by
 * key); undefined when neither does.
 */
export function generationParams(merged: JobValues): Record<string, unknown> | undefined {
    const fromJob = merged.generation as Record<string, unknown> | undefined;
    if (fromJob !== undefined && (typeof fromJob !== "object" || fromJob === null || Array.isArray(fromJob)))
        throw new InvalidOptionError('"generation" must be a map of parameter name: value (e.g. generation: {presence_penalty: 0.5})');
    const fromFlags = Array.isArray(merged.param) ? parseParamFlags(merged.param as string[]) : undefined;
    if (fromJob === undefined && fromFlags === undefined) return undefined;
    return {...fromJob, ...fromFlags};
}

/** Reads a text file an option names; one-line errors naming the option and the file. */
export function readText(file: string, option: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new OptionFileError(`${option} file ${file} ${code === "ENOENT" ? "not found" : `cannot be read (${code})`}; check the path`);
    }
}

/** Reads and parses a JSON file an option names; one-line errors naming the option and the file. */
export function readJson(file: string, option: string): unknown {
    const text = readText(file, option);
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new OptionFileError(`${option} file ${file} is not valid JSON (${oneLine(err)}); fix the file`);
    }
}

/**
 * The labels `--choices` gives: a comma-separated list, or the name of a text file with one label per line (as
 * Prodigy's `--label labels.txt` reads them: each line trimmed, empty lines dropped).
 */
export function choiceList(value: string): string[] {
    if (!value.includes(",") && fs.existsSync(value) && fs.statSync(value).isFile())
        return readText(value, "--choices")
            .split(/\r?\n/u)
            .map((line) => line.trim())
            .filter((line) => line.length > 0);
    return splitList(value);
}

/** `--rename old:new,old2:new2` as a map; a part without exactly one colon is refused. */
function renameMap(value: string): Record<string, string> {
    const map: Record<string, string> = {};
    for (const part of splitList(value)) {
        const pieces = part.split(":").map((piece) => piece.trim());
        if (pieces.length !== 2 || pieces[0] === "" || pieces[1] === "")
            throw new InvalidOptionError(`--rename ${part}: give old:new pairs separated by commas, e.g. --rename review:text,stars:rating`);
        map[pieces[0]!] = pieces[1]!;
    }
    return map;
}

/** A comma-separated list, each part trimmed, empty parts dropped. */
export function splitList(value: string): string[] {
    return value
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part.length > 0);
}
