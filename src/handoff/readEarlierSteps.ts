import fs from "node:fs/promises";
import path from "node:path";

/**
 * The earlier steps' answers of a later job step's rows, by idx: a step after the first runs on
 * `<job output>/inputs/<step>.jsonl`, one `{idx, ...columns, steps}` line per row (src/jobs/jobRows.ts
 * writeStepInput), and its manifest's `meta.input` names that file. Its own output keeps the input columns but
 * not `steps`, so the answers a judge step judged are read back from there. Null when `input` is not such a file
 * (a first step, a plain run) or it cannot be read (as recorded, or as `<dir>/../../inputs/<name>`): the export then shows the run's own answers only.
 */
export async function readEarlierSteps(input: unknown, dir: string): Promise<Map<number, Record<string, unknown>> | null> {
    if (typeof input !== "string" || path.basename(path.dirname(input)) !== "inputs" || !input.endsWith(".jsonl")) return null;
    // the path as the job recorded it (relative to where it ran), else beside the step: <job output>/steps/<step>/
    const text = (await readText(input)) ?? (await readText(path.join(dir, "..", "..", "inputs", path.basename(input))));
    if (text === null) return null;
    const steps = new Map<number, Record<string, unknown>>();
    for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        let record: unknown;
        try {
            record = JSON.parse(line);
        } catch {
            return null;
        }
        if (!isObject(record) || typeof record.idx !== "number" || !isObject(record.steps)) return null;
        steps.set(record.idx, record.steps);
    }
    return steps;
}

async function readText(file: string): Promise<string | null> {
    try {
        return await fs.readFile(file, "utf8");
    } catch {
        return null;
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
