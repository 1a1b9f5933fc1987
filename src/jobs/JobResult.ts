import type {CompareResult} from "../compare/compareModels.js";
import type {AnnotateResult} from "../pipeline/annotate.js";

export type JobStepResult = {
    name: string;
    type: "annotate" | "compare" | "filter" | "generate";
    /** The step's output dir (`<output>/steps/<name>`); null for a filter step. */
    dir: string | null;
    /** Rows the step was given (after its where). */
    inputRows: number;
    /** Rows that move on to the next step: answered (by every model, for a comparison), or kept by the filter. */
    passedRows: number;
    /** True when the step had finished in an earlier run with the same settings and was not run again. */
    skipped: boolean;
    /** One line for people. */
    summary: string;
    /** The annotate run (single-model steps run in this call). */
    run?: AnnotateResult;
    /** The comparison (steps with `models:`). */
    comparison?: CompareResult;
};

export type RunJobResult = {
    output: string;
    steps: JobStepResult[];
    /** `<output>/result.<format>`: one row per idx that passed every step, a column per model step; null until the job is complete. */
    result: string | null;
    /** Rows in the result. */
    rows: number;
    complete: boolean;
    stopped: boolean;
};
