import path from "node:path";
import type {LlamaModel} from "node-llama-cpp";
import {InvalidOptionError} from "../AirlabelError.js";
import {loadLlama} from "../llama/loadLlama.js";
import {checkModelFile, ModelFileError, type ModelFileInfo} from "../model/checkModelFile.js";
import {remoteModelFingerprint} from "../model/remoteModelFingerprint.js";
import type {PrepareOptions} from "../options/AnnotateOptions.js";
import {prepareJob, type PrepareJobOptions} from "./prepareJob.js";
import type {PreparedJob} from "./PreparedJob.js";

export type PrepareResult = {
    job: PreparedJob;
    /** The GGUF file; for a remote model, its name as `path` and `remote:<base URL>:<name>` as the fingerprint. */
    model: ModelFileInfo;
    /** Context size per sequence the run will use. */
    contextSize: number;
};

export type PrepareStageOptions = PrepareOptions &
    Required<Pick<PrepareOptions, "template" | "templateOrigin" | "chatTemplate" | "sort" | "dedup" | "skipInvalidRows">> &
    Pick<PrepareJobOptions, "loadedHooks" | "prefixRows" | "oneToMany" | "schema" | "choices"> & {
        /** Tokens generated per answer at most, reserved in the context. Defaults to 256. */
        maxTokens?: number;
        /** Context size per sequence; rows that do not fit fail. Defaults to the longest prompt plus `maxTokens`, within the model's training context. */
        contextSize?: number;
        /** Facts worth a line (a large model hashed for the first time). Defaults to none. */
        onLog?: (line: string) => void;
        /** A remote backend's API root: `model` is then the server's model name, not a file; nothing is loaded, prompt tokens are estimated and the server checks the context. Defaults to none (local GGUF). */
        remoteBaseUrl?: string;
    };

/** A vocabulary-only model reports a training context of 0, so read it from the GGUF metadata. */
function trainContextSizeOf(model: LlamaModel): number {
    if (model.trainContextSize > 0) return model.trainContextSize;
    const metadata = model.fileInfo.metadata as Record<string, unknown>;
    const architecture = (metadata.general as {architecture?: string} | undefined)?.architecture;
    const section = architecture == null ? undefined : (metadata[architecture] as {context_length?: number} | undefined);
    const length = Number(section?.context_length ?? 0);
    if (!Number.isInteger(length) || length <= 0)
        throw new ModelFileError(`${model.filename ?? "model"}: the GGUF file has no ${architecture ?? "<architecture>"}.context_length; pass --context-size`);
    return length;
}

/**
 * The prepare stage as a library call (`airlabel prepare`, and the first step of `annotate`): checks the model
 * file, loads only its vocabulary, and prepares (or reuses from cache) the job's rows. For a remote model (`remoteBaseUrl`)
 * no file is read: prompt tokens are estimated as ceil(UTF-8 bytes / 4) and the context size is the server's business (0).
 */
export async function prepare(options: PrepareStageOptions): Promise<PrepareResult> {
    if (options.remoteBaseUrl !== undefined) {
        const model: ModelFileInfo = {path: options.model, bytes: 0, fingerprint: remoteModelFingerprint(options.remoteBaseUrl, options.model)};
        const job = await prepareJob({...options, vocabModel: null, modelFingerprint: model.fingerprint});
        return {job, model, contextSize: 0};
    }
    const model = await checkModelFile(options.model, options.onLog !== undefined ? {onLog: options.onLog} : {});
    const maxTokens = options.maxTokens ?? 256;
    const llama = await loadLlama("cpu");
    const vocabModel = await llama.loadModel({modelPath: options.model, vocabOnly: true}).catch((err: unknown) => {
        const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
        throw new ModelFileError(
            `model file ${options.model} cannot be loaded (${why}); it is damaged or truncated, or not a llama.cpp model: copy or convert it again`,
            {cause: err}
        );
    });
    try {
        const trainContext = trainContextSizeOf(vocabModel);
        const contextLimit = options.contextSize ?? trainContext;
        if (maxTokens >= contextLimit) {
            const context =
                options.contextSize !== undefined
                    ? `--context-size ${contextLimit}`
                    : `the model's context of ${contextLimit} tokens (${path.basename(options.model)})`;
            throw new InvalidOptionError(
                `--max-tokens ${maxTokens} leaves no room for a prompt in ${context}; lower --max-tokens below ${contextLimit}` +
                    (options.contextSize !== undefined && options.contextSize < trainContext ? `, or raise --context-size (up to ${trainContext})` : "")
            );
        }
        const job = await prepareJob({...options, vocabModel, modelFingerprint: model.fingerprint, maxPromptTokens: contextLimit - maxTokens});
        const longest = job.maxPromptTokens;
        const contextSize = options.contextSize ?? Math.min(trainContext, Math.ceil((longest + maxTokens + 8) / 256) * 256);
        return {job, model, contextSize};
    } finally {
        await vocabModel.dispose();
    }
}
