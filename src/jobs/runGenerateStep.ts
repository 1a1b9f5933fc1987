import fs from "node:fs";
import type {GenerateOptions} from "../options/GenerateOptions.js";
import {generate} from "../pipeline/generate.js";
import {skipKeyOf} from "../pipeline/skipKeyOf.js";
import {JobError} from "./JobError.js";
import {readText, resolveJobOptions} from "./jobOptions.js";
import type {JobRun} from "./JobRun.js";
import {inputOnly, type StepPlan} from "./planJob.js";
import {singleAnswers} from "./stepAnswers.js";

/** A generate step (the first): makes the job's rows from its prompts. False when it did not complete. */
export async function runGenerateStep(run: JobRun, step: StepPlan): Promise<boolean> {
    const {origin, jobDefaults, overrides} = run.plan;
    const stepDir = run.stepDir(step);
    const {name: _n, type: _t, prompt, prompts, count, prefix, prefixFile, ...own} = step.step;
    const raw: Record<string, unknown> = {...jobDefaults, ...own, ...overrides, output: stepDir, model: step.model};
    for (const key of ["quiet", "json", "failOnErrors", "input", "template", "prompt", ...inputOnly]) if (!(key in own)) delete raw[key];
    if (raw.model === undefined) throw new JobError(`${origin}: steps[${step.index}]: no model; set model: in the step or the job, or pass --model`);
    const resolved = await run.inStep(step, async () => resolveJobOptions(raw, {}, ["model", "output"]));
    const {input: _input, template: _template, templateOrigin: _origin, ...base} = resolved;
    const generateOptions: GenerateOptions = {
        ...base,
        ...(prompt !== undefined ? {prompts: typeof prompt === "string" ? [prompt] : (prompt as string[])} : {promptsFile: prompts as string}),
        ...(count !== undefined ? {count: count as number} : {}),
        ...(prefix !== undefined
            ? {prefix: prefix as string}
            : prefixFile !== undefined
              ? {prefix: await run.inStep(step, async () => readText(prefixFile as string, "prefixFile"))}
              : {})
    };
    const what = JSON.stringify({
        prompt: prompt ?? null,
        prompts: prompts !== undefined ? await fs.promises.readFile(prompts as string, "utf8").catch(() => null) : null,
        count: count ?? 1,
        prefix: generateOptions.prefix ?? null
    });
    const key = await skipKeyOf({...resolved, input: "(generated)"}, what);
    const single = await run.runSingle(step.name, "generate", stepDir, key, resolved.overwrite === true, () =>
        run.inStep(step, () => generate({...generateOptions, ...run.common(step)}))
    );
    run.modelSteps.push(step.name);
    if (single === null) return false;
    run.rows = await singleAnswers(stepDir, step.name, null);
    const rows = run.rows;
    run.results.push({
        name: step.name,
        type: "generate",
        dir: stepDir,
        inputRows: single.run?.totalRows ?? rows.size,
        passedRows: rows.size,
        skipped: single.run === undefined,
        summary: `${single.run === undefined ? "already complete, skipped; " : ""}${rows.size} rows generated`,
        ...(single.run !== undefined ? {run: single.run} : {})
    });
    return true;
}
