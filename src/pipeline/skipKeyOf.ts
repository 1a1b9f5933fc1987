import crypto from "node:crypto";
import {resolveDatasetSpec} from "../datasets/resolveDatasetSpec.js";
import {sha256OfFiles} from "../files/sha256OfFiles.js";
import {checkModelFile} from "../model/checkModelFile.js";
import {remoteModelFingerprint} from "../model/remoteModelFingerprint.js";
import type {AnnotateOptions} from "../options/AnnotateOptions.js";
import {runIdentity} from "../options/runIdentity.js";
import {validateAnnotateOptions} from "../options/validateAnnotateOptions.js";
import {fewShotExamples} from "../prepare/fewShotExamples.js";

/**
 * The skip key of a run with these options (see RunIdentity.skipKey): compare and jobs skip a finished model or step
 * whose key is unchanged. The input by content (a file written again with the same rows leaves finished work
 * alone); `inputContent` stands for it when the rows do not come from a file (generate). Null when a key cannot be
 * made (stdin, an unreadable input, model, hooks module or examples file, invalid options): the run itself then reports why.
 */
export async function skipKeyOf(options: AnnotateOptions, inputContent?: string): Promise<string | null> {
    try {
        const valid = validateAnnotateOptions(options);
        // the examples by content, as the run's identity holds them
        const examples = (await fewShotExamples(valid, null))?.rows;
        const resolved = examples === undefined ? valid : {...valid, examples};
        let inputHash: string;
        if (inputContent !== undefined) inputHash = crypto.createHash("sha256").update(inputContent).digest("hex");
        else {
            const spec = await resolveDatasetSpec(options.input, options.inputFormat);
            if (spec.stdin) return null;
            inputHash = await sha256OfFiles(spec.files, spec.names);
        }
        const remote = resolved.resolvedBackend.remote;
        const model = remote !== null ? remoteModelFingerprint(remote.baseUrl, options.model) : (await checkModelFile(options.model)).fingerprint;
        const hooks = options.hooks !== undefined ? {file: options.hooks, sha256: await sha256OfFiles([options.hooks])} : null;
        return runIdentity.skipKey(runIdentity.manifestIdentity(resolved, {inputHash, model, hooks}), resolved, inputHash);
    } catch {
        return null;
    }
}
