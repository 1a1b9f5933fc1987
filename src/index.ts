/**
 * airlabel's library API: the same pipeline the CLI runs.
 *
 * ```ts
 * import {annotate} from "airlabel";
 * const result = await annotate({input: "reviews.jsonl", model: "model.gguf", output: "out/reviews",
 *     template: "Sentiment of: {text}", choices: ["positive", "negative", "neutral"]});
 * ```
 */
export {AirlabelError, InvalidOptionError} from "./AirlabelError.js";
export {version} from "./version.js";
export {annotate, EngineError, type AnnotateResult} from "./pipeline/annotate.js";
export {prepare, type PrepareResult, type PrepareStageOptions} from "./prepare/prepare.js";
export {generate, PromptsFileError} from "./pipeline/generate.js";
export type {GenerateOptions} from "./options/GenerateOptions.js";
export {loadHooks, HooksError} from "./hooks/loadHooks.js";
export type {AirlabelHooks, PromptHookResult, LoadedHooks} from "./hooks/Hooks.js";
export type {
    AnnotateOptions,
    AnnotateProgress,
    GenerationOptions,
    LogLevel,
    PrepareOptions,
    RecordList,
    SortOrder,
    GpuChoice
} from "./options/AnnotateOptions.js";
export type {OutputFormat} from "./output/OutputRow.js";
export type {BackendOptions, BackendChoice} from "./options/BackendOptions.js";
export type {Engine} from "./engine/Engine.js";
export {OpenAIEngine, type OpenAIEngineOptions} from "./engine/openai/OpenAIEngine.js";
export {RemoteServerError} from "./engine/openai/openaiErrors.js";
export {ApiKeyError} from "./engine/openai/readApiKey.js";
export {validateAnnotateOptions} from "./options/validateAnnotateOptions.js";
export {PromptTemplate, TemplateError} from "./prepare/PromptTemplate.js";
export {fewShotExamples, ExamplesError, type FewShot, type FewShotOptions} from "./prepare/fewShotExamples.js";
export type {ChatMessage} from "./chat/ChatMessage.js";
export {AnswerSchema, SchemaError} from "./schema/AnswerSchema.js";
export {compileSchemaGrammar, SchemaGrammarError, type CompileSchemaGrammarOptions, type SchemaGrammar} from "./schema/grammar/compileSchemaGrammar.js";
export {checkModelFile, ModelFileError} from "./model/checkModelFile.js";
export {PrepareError} from "./prepare/prepareJob.js";
export type {PreparedJob, PreparedRow, PreparedFailure} from "./prepare/PreparedJob.js";
export {openDataset} from "./datasets/openDataset.js";
export {inspectDataset} from "./datasets/inspectDataset.js";
export {parseJsonText, maxJsonDepth, JsonValueError} from "./json/parseJsonText.js";
export {stringifyJson} from "./json/stringifyJson.js";
export {OutputStore} from "./output/OutputStore.js";
export {readOutput, type OutputContents, type ReadOutputOptions} from "./output/readOutput.js";
export {exportOutput, exportFormatOf, ExportError, type ExportOutputOptions, type ExportResult} from "./handoff/exportOutput.js";
export {exportRun, type ExportRunOptions, type ExportRunResult} from "./handoff/exportRun.js";
export {writeLlamaGguf, type WriteLlamaGgufOptions, type WriteLlamaGgufResult} from "./gguf/writeLlamaGguf.js";
export {readGgufMetadata, type GgufMetadata} from "./gguf/readGgufMetadata.js";
export {GgufReadError} from "./gguf/GgufReadError.js";
export {modelFamilies, type ModelFamily} from "./gguf/modelFamilies.js";
export type {ExplicitLlamaShape} from "./gguf/checkExplicitShape.js";
export {runBench, type BenchOptions, type BenchResult} from "./bench/runBench.js";
export type {StepBreakdown} from "./bench/stepBreakdown.js";
export type {StepProfile} from "./engine/StepProfile.js";
export {LlamaBinaryError} from "./llama/LlamaBinaryError.js";
export {ensureGeneratedModel} from "./gguf/ensureGeneratedModel.js";
export {compareModels, CompareError, type CompareResult, type CompareModelResult} from "./compare/compareModels.js";
export {readComparison, isComparisonDir, type Comparison, type ComparisonModel, type ComparisonRow, type ComparisonResponse} from "./compare/readComparison.js";
export {ComparisonFileError} from "./compare/comparisonFile.js";
export type {CompareOptions, CompareModelSpec} from "./options/CompareOptions.js";
export {runJob} from "./jobs/runJob.js";
export {JobError} from "./jobs/JobError.js";
export type {RunJobResult, JobStepResult} from "./jobs/JobResult.js";
export {readJobFile, checkJob, JobFileError} from "./jobs/readJobFile.js";
export {RowFilter, RowFilterError} from "./jobs/RowFilter.js";
export type {RunJobOptions} from "./options/RunJobOptions.js";
export {exportHandoff, HANDOFF_TARGETS, type ExportHandoffOptions, type ExportHandoffResult, type HandoffTarget} from "./handoff/exportHandoff.js";
export {
    importReviews,
    combineVerdicts,
    ReviewImportError,
    REVIEW_SOURCES,
    type ImportReviewsOptions,
    type ImportReviewsResult,
    type ReviewSource
} from "./handoff/importReviews.js";
export {
    handoffStats,
    formatHandoffStats,
    type HandoffStats,
    type HandoffStatsOptions,
    type ModelStats,
    type PairStats,
    type ReviewStats
} from "./handoff/handoffStats.js";
export {cohenKappa, percentAgreement, meanAbsoluteDifference} from "./handoff/agreement.js";
export {fleissKappa, type FleissKappa} from "./handoff/fleissKappa.js";
export {krippendorffAlpha, type KrippendorffAlpha, type AlphaMetric} from "./handoff/krippendorffAlpha.js";
export {confusionMatrix, type ConfusionMatrix} from "./handoff/confusionMatrix.js";
export type {TeamStats, AnnotatorStats} from "./handoff/teamStats.js";
export type {Disagreement} from "./handoff/listDisagreements.js";
export {readReviewSets, ReviewStoreError, type ReviewSet, type ReviewedRow, type ReviewManifest} from "./handoff/reviewStore.js";
export {readHandoffSource, IncompleteRunError, type HandoffSource, type HandoffRow, type HandoffModel} from "./handoff/readHandoffSource.js";
export {resolveAnswerField, AnswerFieldError, type AnswerField, type AnswerKind} from "./handoff/resolveAnswerField.js";
export {
    toArgilla,
    type ArgillaDatasetModel,
    type ArgillaExport,
    type ArgillaRecord,
    type ArgillaSettings,
    type ToArgillaOptions
} from "./handoff/toArgilla.js";
export {toProdigy, type ProdigyExport, type ProdigyTask} from "./handoff/toProdigy.js";
export {toLabelStudio, type LabelStudioExport, type LabelStudioResult, type LabelStudioTask} from "./handoff/toLabelStudio.js";
export {prodigyHashes, type ProdigyHashExtra} from "./handoff/prodigyHashes.js";
export {murmurhash3} from "./files/murmurhash3.js";
export {loadAnswerSpec, AnswerSpecError, type AnswerSpec} from "./handoff/loadAnswerSpec.js";
export {OneToManyRunError} from "./handoff/refuseOneToMany.js";
export {inspectGpus, type GpuInspection, type LlamaBinary} from "./engine/local/placement/inspectGpus.js";
export type {GpuDetection} from "./engine/local/placement/detectGpus.js";
export {PlacementError} from "./engine/local/placement/PlacementError.js";
export {MemoryFitError} from "./engine/local/placement/fitMemory.js";
