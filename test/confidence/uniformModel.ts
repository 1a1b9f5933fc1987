import fs from "node:fs";
import path from "node:path";
import {readGgufFileInfo} from "node-llama-cpp";
import {writeLlamaGguf} from "../../src/gguf/writeLlamaGguf.js";
import {tempDir} from "../support/fixtures.js";

/**
 * A generated llama whose every next-token distribution is uniform: its final norm's weights are zero, so every logit
 * is exactly 0 and every token's probability is 1 / vocabulary, whatever the prompt. The oracle for confidences: a
 * free-text answer's geometric mean token probability is then exactly 1/V, a label of k tokens has probability V^-k.
 */
export async function uniformModel(): Promise<{file: string; vocabulary: number}> {
    const file = path.join(tempDir(), "uniform.gguf");
    const written = await writeLlamaGguf({path: file, parameters: 1_000_000, type: "f16", seed: 3});
    const info = await readGgufFileInfo(file, {readTensorInfo: true, logWarnings: false});
    const norm = info.fullTensorInfo?.find((tensor) => tensor.name === "output_norm.weight");
    if (norm === undefined || norm.ggmlType !== 0) throw new Error("the generated model has no F32 output_norm.weight");
    const handle = fs.openSync(file, "r+");
    try {
        fs.writeSync(handle, Buffer.alloc(4 * Number(norm.dimensions[0])), 0, 4 * Number(norm.dimensions[0]), Number(norm.fileOffset));
    } finally {
        fs.closeSync(handle);
    }
    return {file, vocabulary: written.shape.vocabulary};
}
