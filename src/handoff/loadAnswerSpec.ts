import fs from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import {AirlabelError} from "../AirlabelError.js";
import {choiceList} from "../jobs/jobOptions.js";
import {runIdentity} from "../options/runIdentity.js";

/** A `--schema` or `--config` file named for the hand-off commands cannot be read or parsed. */
export class AnswerSpecError extends AirlabelError {}

/** How the answers of a run look, for export and stats: its schema and/or choices. */
export interface AnswerSpec {
    /** The run's answer JSON Schema (its enum, boolean or integer range decides the question). Defaults to none: the kind is read from the answers. */
    schema?: Record<string, unknown> | boolean;
    /** The run's labels (`airlabel run --choices`). Defaults to the schema's enum, else the labels the answers repeat. */
    choices?: string[];
}

/** Options of `loadAnswerSpec`: what the user gave on the command line. */
export interface LoadAnswerSpecOptions {
    /** JSON Schema file the run used (`airlabel run --schema`). Defaults to none. */
    schema?: string;
    /** Labels the run used (`airlabel run --choices`). Defaults to none. */
    choices?: string[];
    /** The run's job file (JSON or YAML): its `schema` (a path, relative to the current directory) and `choices` are used. Defaults to none. */
    config?: string;
}

/** Read the answer spec from `--schema`, `--choices` and/or the `schema`/`choices` of a `--config` job file (flags win). */
export async function loadAnswerSpec(options: LoadAnswerSpecOptions): Promise<AnswerSpec> {
    const spec: AnswerSpec = {};
    if (options.config !== undefined) {
        const config = await readStructured(options.config, "--config");
        if (config !== null && typeof config === "object" && !Array.isArray(config)) {
            const job = config as Record<string, unknown>;
            if (typeof job.schema === "string") spec.schema = await readSchema(job.schema, `--config ${options.config} schema`);
            else if (typeof job.schema === "object" && job.schema !== null) spec.schema = job.schema as Record<string, unknown>;
            if (Array.isArray(job.choices)) spec.choices = job.choices.map(String);
            else if (typeof job.choices === "string") spec.choices = choiceList(job.choices);
        }
    }
    if (options.schema !== undefined) spec.schema = await readSchema(options.schema, "--schema");
    if (options.choices !== undefined) spec.choices = options.choices;
    return spec;
}

async function readSchema(file: string, option: string): Promise<Record<string, unknown> | boolean> {
    const value = await readStructured(file, option);
    if (typeof value !== "boolean" && (value === null || typeof value !== "object" || Array.isArray(value)))
        throw new AnswerSpecError(`${option} file ${file} is not a JSON Schema (an object or a boolean); pass the schema file the run used`);
    return value as Record<string, unknown> | boolean;
}

async function readStructured(file: string, option: string): Promise<unknown> {
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (error) {
        throw new AnswerSpecError(`${option} file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path`, {
            cause: error
        });
    }
    try {
        return /\.ya?ml$/iu.test(path.extname(file)) ? (YAML.parse(text) as unknown) : (JSON.parse(text) as unknown);
    } catch (error) {
        throw new AnswerSpecError(
            `${option} file ${file} cannot be parsed (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); fix its syntax`,
            {cause: error}
        );
    }
}

/**
 * A note when the spec given is not the one the run recorded: `airlabel run` keeps the hash of its answer schema
 * (RunIdentity.answerSchemaHash: `--choices a,b` is the schema `{"type": "string", "enum": ["a", "b"]}`) in the manifest's identity. Undefined when
 * they match, when no spec was given, or when the run recorded no hash.
 */
export function specMismatchNote(spec: AnswerSpec, recorded: string | undefined): string | undefined {
    if (recorded === undefined || (spec.schema === undefined && spec.choices === undefined)) return undefined;
    const given = runIdentity.answerSchemaHash(spec);
    if (given === recorded) return undefined;
    return (
        `the ${spec.choices !== undefined ? "--choices" : "schema"} given is not the answer schema the run recorded (sha256 ${given} vs the run's ${recorded.slice(0, 16)}); ` +
        "the labels shown may not be the run's: pass the run's own --schema, --choices or --config"
    );
}
