import path from "node:path";
import {committedCounts, loadManifest} from "../output/Manifest.js";
import {readComparisonFile} from "./comparisonFile.js";

/**
 * Rows committed to `errors/` in an output dir, earlier runs included: a run's dir, or a comparison dir (every
 * model's run). 0 when the dir holds neither yet.
 */
export async function countErrorRows(dir: string): Promise<number> {
    const comparison = readComparisonFile(dir);
    if (comparison !== undefined) {
        let errors = 0;
        for (const model of comparison.models) errors += await countErrorRows(path.join(dir, model.dir));
        return errors;
    }
    const manifest = await loadManifest(dir);
    return manifest === undefined ? 0 : committedCounts(manifest).errors;
}
