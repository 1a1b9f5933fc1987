import {checkBiasTokens} from "../engine/local/checkBiasTokens.js";
import {LocalEngine} from "../engine/local/LocalEngine.js";
import {fitLocalRun, placeLocalRun} from "../engine/local/placement/planLocalRun.js";
import {hasAnswerHooks} from "../hooks/Hooks.js";
import {localSamplingParams} from "../options/generationParams.js";
import {compileSchemaGrammar, type CompileSchemaGrammarOptions} from "../schema/grammar/compileSchemaGrammar.js";
import type {EnginePlan, EngineSetup, EngineSetupOptions} from "./EngineSetup.js";

/** Sequences per worker reported when no row is left to generate and `parallel` is not given. */
const defaultParallel = 8;

/**
 * The local llama.cpp engine's setup: compiles the answer schema's grammar once (a schema that cannot become a
 * grammar fails before any model loads), then finds the GPUs and places one replica per worker (a bad placement
 * option fails before the prepare stage).
 */
export async function localEngineSetup({resolved, answerSchema, hooks, exampleTurns, log}: EngineSetupOptions): Promise<EngineSetup> {
    const grammar =
        answerSchema.jsonSchema !== null
            ? compileAndReportGrammar(
                  answerSchema.jsonSchema,
                  {
                      origin: resolved.schemaOrigin,
                      ...(resolved.grammarMaxStringLength !== undefined ? {maxStringLength: resolved.grammarMaxStringLength} : {}),
                      ...(resolved.grammarMaxItems !== undefined ? {maxItems: resolved.grammarMaxItems} : {})
                  },
                  log
              )
            : null;
    const params = localSamplingParams(resolved.params);
    await checkBiasTokens(resolved.model, params);
    const placed = await placeLocalRun({gpu: resolved.gpu, workers: resolved.workers, placement: resolved.placement});
    const answerHooks = hasAnswerHooks(hooks);
    return {
        backend: "local",
        prepareOptions: {},
        manifestMeta: {},
        parallel: resolved.parallel ?? defaultParallel,
        modelName: (modelFile) => modelFile.path.split(/[\\/]/u).pop() ?? modelFile.path,
        async plan(contextSize): Promise<EnginePlan> {
            // parallel sequences fitted to memory before any model loads
            const fitted = await fitLocalRun(placed, {modelPath: resolved.model, gpuLayers: resolved.gpuLayers, contextSize, parallel: resolved.parallel});
            const {parallel} = fitted;
            const workers = fitted.placements.length;
            return {
                parallel,
                notes: fitted.notes,
                createEngine: () =>
                    new LocalEngine({
                        modelPath: resolved.model,
                        gpu: resolved.gpu,
                        gpuLayers: resolved.gpuLayers,
                        threads: resolved.threads ?? null,
                        argmax: resolved.argmax,
                        jumpForward: resolved.jumpForward,
                        sharePrefix: resolved.sharePrefix,
                        contextSize,
                        parallel,
                        chatTemplate: resolved.chatTemplate,
                        system: resolved.system,
                        ...(exampleTurns.length > 0 ? {turns: [...exampleTurns]} : {}),
                        schema: answerSchema.jsonSchema,
                        schemaOrigin: resolved.schemaOrigin,
                        grammar,
                        generation: resolved.generation,
                        ...(resolved.params !== undefined ? {params} : {}),
                        retriesInvalid: resolved.retriesInvalid,
                        ...(resolved.confidence === true ? {confidence: true} : {}),
                        ...(resolved.samples !== undefined && resolved.samples > 1 ? {samples: resolved.samples} : {}),
                        workers,
                        placements: fitted.placements,
                        // only validate/parse run in the worker
                        ...(answerHooks ? {hooks: hooks.file} : {}),
                        ...(resolved.hookTimeoutMs !== undefined ? {hookTimeoutMs: resolved.hookTimeoutMs} : {}),
                        ...(resolved.oneToMany === true ? {oneToMany: true} : {}),
                        ...(resolved.signal !== undefined ? {signal: resolved.signal} : {}),
                        stopGraceMs: resolved.stopGraceMs,
                        ...(resolved.rowTimeout !== undefined ? {rowTimeoutMs: resolved.rowTimeout * 1000} : {})
                    }),
                readyLine: (loaded) =>
                    `engine: ${loaded.engine}; parallel ${parallel}${workers > 1 ? ` x ${workers} workers` : ""}, context ${contextSize} per sequence`,
                requestStats: () => ({requests: 0, retries: 0})
            };
        }
    };
}

/**
 * Compiles the answer schema's grammar once, for every worker (a schema that cannot become a grammar fails before
 * any model loads), and says which keywords decoding enforces and which only validation checks.
 */
function compileAndReportGrammar(schema: Record<string, unknown> | boolean, options: CompileSchemaGrammarOptions, log: (line: string) => void): string {
    const grammar = compileSchemaGrammar(schema, options);
    log(
        `schema: ${grammar.enforced.length} keyword${grammar.enforced.length === 1 ? "" : "s"} enforced while decoding (grammar: ${grammar.rules} rules, ${grammar.bytes} bytes)`
    );
    if (grammar.validatedOnly.length > 0)
        log(
            `schema: validated after decoding only (retried, then recorded as failed): ${grammar.validatedOnly.map((pointer) => `${pointer}${grammar.reasons[pointer] !== undefined ? ` (${grammar.reasons[pointer]})` : ""}`).join("; ")}`
        );
    if (grammar.ignored.length > 0) log(`schema: ignored (neither the grammar nor validation applies them): ${grammar.ignored.join(", ")}`);
    return grammar.gbnf;
}
