import fs from "node:fs";
import {createRequire} from "node:module";
import type {ErrorObject, ValidateFunction} from "ajv";
import YAML from "yaml";
import {AirlabelError} from "../AirlabelError.js";
import {oneLine} from "../oneLine.js";

const require = createRequire(import.meta.url);

/** Raised when a job file cannot be read, parsed, or does not match schemas/job.schema.json (the message names the key's path). */
export class JobFileError extends AirlabelError {
    public constructor(message: string) {
        super(message, {exitCode: 2});
    }
}

/** The job file's published JSON Schema (schemas/job.schema.json in the package). */
export const jobSchemaPath = new URL("../../schemas/job.schema.json", import.meta.url);

let validator: ValidateFunction | undefined;

function validateJob(value: unknown): ErrorObject | null {
    if (validator === undefined) {
        const AjvModule = require("ajv") as {default: new (options: Record<string, unknown>) => {compile: (schema: unknown) => ValidateFunction}};
        const schema = JSON.parse(fs.readFileSync(jobSchemaPath, "utf8")) as unknown;
        validator = new AjvModule.default({allErrors: false, strict: false}).compile(schema);
    }
    return validator(value) ? null : (validator.errors?.[0] ?? null);
}

/**
 * Reads a job file (YAML when it ends in .yml/.yaml, else JSON), replaces `${VAR}` in its strings by environment
 * variables (`${VAR:-default}` when VAR is unset, `$${` for a literal `${`), and validates it against
 * schemas/job.schema.json. Throws JobFileError naming the file and the path of the bad key
 * (`job.yaml: steps[1].schema: must be string`).
 */
export function readJobFile(file: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new JobFileError(`job file ${file} ${code === "ENOENT" ? "not found" : `cannot be read (${code ?? String(err)})`}; check the path`);
    }
    let parsed: unknown;
    try {
        parsed = /\.ya?ml$/iu.test(file) ? YAML.parse(text) : JSON.parse(text);
    } catch (err) {
        throw new JobFileError(`job file ${file} cannot be parsed (${oneLine(err)}); fix its syntax`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new JobFileError(`job file ${file} must hold an object of options (camelCase option names as keys)`);
    return checkJob(substitute(parsed, "", file, env) as Record<string, unknown>, file);
}

/** Validates a job's content (as read from a job file) against schemas/job.schema.json; `origin` names it in errors. Throws JobFileError. */
export function checkJob(job: Record<string, unknown>, origin: string): Record<string, unknown> {
    const error = validateJob(job);
    if (error !== null) throw new JobFileError(`${origin}: ${describe(error)}`);
    return job;
}

function substitute(value: unknown, at: string, file: string, env: NodeJS.ProcessEnv): unknown {
    if (typeof value === "string") {
        return value.replace(/\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/gu, (match, name: string | undefined, fallback: string | undefined) => {
            if (match === "$${") return "${";
            const found = env[name!];
            if (found !== undefined && found !== "") return found;
            if (fallback !== undefined) return fallback;
            throw new JobFileError(
                `${file}: ${at || "(top level)"}: environment variable ${name!} is not set; set it (e.g. ${name!}=path/to/model.gguf) or write \${${name!}:-default}`
            );
        });
    }
    if (Array.isArray(value)) return value.map((item, i) => substitute(item, `${at}[${i}]`, file, env));
    if (typeof value === "object" && value !== null)
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, at === "" ? key : `${at}.${key}`, file, env)]));
    return value;
}

/** `/steps/1/schema` -> `steps[1].schema`. */
function pathOf(pointer: string): string {
    if (pointer === "") return "(top level)";
    return pointer
        .slice(1)
        .split("/")
        .map((part) => part.replace(/~1/gu, "/").replace(/~0/gu, "~"))
        .reduce((out, part) => (/^\d+$/u.test(part) ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`), "");
}

function describe(error: ErrorObject): string {
    const at = pathOf(error.instancePath);
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
        case "additionalProperties":
            return `${at}: unknown key "${String(params.additionalProperty)}"; see schemas/job.schema.json for the keys a job takes`;
        case "required":
            return `${at}: missing "${String(params.missingProperty)}"`;
        case "enum":
            return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
        case "type":
            return `${at}: must be ${String(params.type).replace(/,/gu, " or ")}`;
        default:
            return `${at}: ${error.message ?? "is invalid"}`;
    }
}
