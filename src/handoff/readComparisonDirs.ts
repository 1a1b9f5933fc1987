import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {readComparisonFile, type RecordedComparisonModel} from "../compare/comparisonFile.js";
import {displayDir} from "../output/Manifest.js";
import {readOutput} from "../output/readOutput.js";
import type {OutputContents} from "../output/readOutput.js";

/**
 * Each model's committed output of a multi-model comparison, for the hand-off commands: `compare.json` is read with
 * the comparison runner's own reader (src/compare/comparisonFile.ts); the hand-off builds its records from each
 * model's output dir (`DIR/models/<id>/`) rather than from the joined rows of `readComparison`.
 */

/** `compare.json` is missing or names no models. */
export class ComparisonDirError extends AirlabelError {}

/** One model of a comparison, as listed in `compare.json`. */
export type ComparisonModel = RecordedComparisonModel;

/** Each model's committed output (`DIR/models/<id>/`), in `compare.json` order. */
export async function readComparisonDirs(dir: string): Promise<{models: ComparisonModel[]; outputs: OutputContents[]}> {
    const file = readComparisonFile(dir);
    if (file === undefined || file.models.length === 0)
        throw new ComparisonDirError(`${displayDir(dir)}compare.json ${file === undefined ? "not found" : "lists no models"}; re-run the comparison`);
    const outputs: OutputContents[] = [];
    for (const model of file.models) outputs.push(await readOutput(path.join(dir, "models", model.id), {items: false}));
    return {models: file.models, outputs};
}
