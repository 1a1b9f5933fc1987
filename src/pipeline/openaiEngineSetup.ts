import {OpenAIEngine} from "../engine/openai/OpenAIEngine.js";
import {readApiKey} from "../engine/openai/readApiKey.js";
import type {ResolvedRemoteOptions} from "../options/validateBackendOptions.js";
import type {EnginePlan, EngineSetup, EngineSetupOptions} from "./EngineSetup.js";

/**
 * The setup of an OpenAI-compatible server (`backend: "openai"`, vllm included): reads the API key now (a missing
 * one fails before the output dir is taken); the server's model name is `model`, and the server keeps the context.
 */
export function openaiEngineSetup(remote: ResolvedRemoteOptions, {resolved, answerSchema, hooks, exampleTurns, log}: EngineSetupOptions): EngineSetup {
    const apiKey = readApiKey(remote);
    return {
        backend: "openai",
        prepareOptions: {remoteBaseUrl: remote.baseUrl},
        manifestMeta: {backend: "openai", baseUrl: remote.baseUrl, endpoint: remote.endpoint},
        parallel: remote.concurrency,
        modelName: () => resolved.model,
        async plan(): Promise<EnginePlan> {
            let engine: OpenAIEngine | undefined;
            return {
                parallel: remote.concurrency,
                notes: [],
                createEngine: () =>
                    (engine = new OpenAIEngine({
                        ...remote,
                        model: resolved.model,
                        apiKey,
                        system: resolved.system,
                        ...(exampleTurns.length > 0 ? {turns: exampleTurns} : {}),
                        schema: answerSchema.jsonSchema,
                        ...(resolved.signal !== undefined ? {signal: resolved.signal} : {}),
                        stopGraceMs: resolved.stopGraceMs,
                        ...(resolved.rowTimeout !== undefined ? {rowTimeoutMs: resolved.rowTimeout * 1000} : {}),
                        schemaOrigin: resolved.schemaOrigin,
                        generation: resolved.generation,
                        ...(resolved.params !== undefined ? {params: resolved.params} : {}),
                        retriesInvalid: resolved.retriesInvalid,
                        ...(resolved.confidence === true ? {confidence: true} : {}),
                        ...(resolved.samples !== undefined && resolved.samples > 1 ? {samples: resolved.samples} : {}),
                        onLog: log,
                        hooks,
                        ...(resolved.hookTimeoutMs !== undefined ? {hookTimeoutMs: resolved.hookTimeoutMs} : {}),
                        ...(resolved.oneToMany === true ? {oneToMany: true} : {})
                    })),
                readyLine: (loaded) => `engine: ${loaded.engine}`,
                requestStats: () => engine?.requestStats ?? {requests: 0, retries: 0}
            };
        }
    };
}
