import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {displayDir} from "../output/Manifest.js";
import {readOutput} from "../output/readOutput.js";
import type {OutputContents} from "../output/readOutput.js";

/**
 * Reader of the multi-model comparison layout, for the hand-off commands only:
 * `DIR/compare.json` = `{"models": [{"id", "model", "backend", ...}]}` and `DIR/models/<id>/` = one airlabel output
 * dir per model. The comparison runner owns the layout and its own reader (src/compare/readComparison.ts) was not on
 * main when the hand-off landed; this stand-in reads the fixed contract, and readHandoffSource should switch to
 * `readComparison` (then this file goes).
 */

/** `compare.json` names no models, or a model's dir is missing or not an airlabel output dir. */
export class ComparisonDirError extends AirlabelError {}

export const COMPARE_FILE = "compare.json";

/** One model of a comparison, as listed in `compare.json`. */
export interface ComparisonModel {
    id: string;
    model: string;
    backend?: string;
    [key: string]: unknown;
}

/** Whether `dir` holds a multi-model comparison (a `compare.json`). */
export async function isComparisonDir(dir: string): Promise<boolean> {
    try {
        return (await fs.stat(path.join(dir, COMPARE_FILE))).isFile();
    } catch {
        return false;
    }
}

/** The models listed in `DIR/compare.json`; throws `ComparisonDirError` when it is unreadable or malformed. */
export async function readComparisonModels(dir: string): Promise<ComparisonModel[]> {
    const shown = displayDir(dir) + COMPARE_FILE;
    let parsed: unknown;
    try {
        parsed = JSON.parse(await fs.readFile(path.join(dir, COMPARE_FILE), "utf8"));
    } catch (error) {
        throw new ComparisonDirError(`${shown} cannot be read as JSON (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); re-run the comparison`, {cause: error});
    }
    const models = (parsed as {models?: unknown} | null)?.models;
    if (!Array.isArray(models) || models.length === 0)
        throw new ComparisonDirError(`${shown} lists no models (expected {"models": [{"id": ..., "model": ...}]}); re-run the comparison`);
    const seen = new Set<string>();
    return models.map((entry: unknown, i) => {
        const model = entry as Partial<ComparisonModel> | null;
        if (model === null || typeof model !== "object" || typeof model.id !== "string" || model.id === "" || seen.has(model.id))
            throw new ComparisonDirError(`${shown} models[${i}] has no id, or one used twice; re-run the comparison`);
        seen.add(model.id);
        return {...model, id: model.id, model: typeof model.model === "string" ? model.model : model.id} as ComparisonModel;
    });
}

/** Each model's committed output (`DIR/models/<id>/`), in `compare.json` order. */
export async function readComparisonDirs(dir: string): Promise<{models: ComparisonModel[], outputs: OutputContents[]}> {
    const models = await readComparisonModels(dir);
    const outputs: OutputContents[] = [];
    for (const model of models) outputs.push(await readOutput(path.join(dir, "models", model.id)));
    return {models, outputs};
}
