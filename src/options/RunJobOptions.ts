import type {AnnotateProgress, LogLevel} from "./AnnotateOptions.js";

/** Options of a multi-step job (`airlabel run job.yaml` where the job has `steps:`; `runJob()`). */
export type RunJobOptions = {
    /** The job: a job file (YAML or JSON), or its content as a job file holds it (template, schema and systemFile are file paths, relative to the current directory). Required. */
    job: string | Record<string, unknown>;
    /** Name of the job in messages. Defaults to the file path, or "job". */
    origin?: string;
    /** Options that override the job's own (the CLI flags): they apply to the job and to every step; `model` replaces the model of every step that has no `models:` list. Defaults to none. */
    overrides?: Record<string, unknown>;
    /** Aborting stops the step in flight after its rows in flight are committed; the job resumes from there. Defaults to none. */
    signal?: AbortSignal;
    /** Progress of the step in flight. Defaults to none. */
    onProgress?: (progress: AnnotateProgress) => void;
    /** Log lines, prefixed with the step's name (`level` as in AnnotateOptions.onLog). Defaults to none. */
    onLog?: (line: string, level?: LogLevel) => void;
};
