import type {LlamaContext, LlamaContextOptions, LlamaModel} from "node-llama-cpp";
import {withAddonOptions} from "./placement/withAddonOptions.js";

/**
 * `model.createContext(options)`, with one KV cache for all sequences where `kvUnified` says so and the addon has
 * airlabel's jump patch (which reads `airlabelKvUnified` from the options node-llama-cpp passes to its `AddonContext`,
 * added by withAddonOptions). Returns the context and whether its cache is unified.
 */
export async function createWorkerContext(
    model: LlamaModel,
    options: LlamaContextOptions,
    kvUnified: boolean
): Promise<{context: LlamaContext; kvUnified: boolean}> {
    const bindings = (model as unknown as {_llama?: {_bindings?: Record<string, unknown>}})._llama?._bindings;
    const addonContext = bindings?.AddonContext as {prototype?: {airlabelStepsSharePrefix?: unknown}} | undefined;
    const patched = typeof addonContext?.prototype?.airlabelStepsSharePrefix === "function";
    if (!kvUnified || bindings === undefined || !patched) return {context: await model.createContext(options), kvUnified: false};
    return {context: await withAddonOptions(bindings, "AddonContext", {airlabelKvUnified: true}, () => model.createContext(options)), kvUnified: true};
}
