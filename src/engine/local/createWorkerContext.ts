import type {LlamaContext, LlamaContextOptions, LlamaModel} from "node-llama-cpp";

type AddonContextClass = new (model: unknown, options: Record<string, unknown>) => object;

/**
 * `model.createContext(options)`, with one KV cache for all sequences where `kvUnified` says so and the addon has
 * airlabel's jump patch (which reads `airlabelKvUnified` from the options node-llama-cpp passes to its `AddonContext`:
 * for the duration of this call the thread's `AddonContext` is wrapped to add it, as loadPlacedModel does for
 * placement). Returns the context and whether its cache is unified.
 */
export async function createWorkerContext(
    model: LlamaModel,
    options: LlamaContextOptions,
    kvUnified: boolean
): Promise<{context: LlamaContext; kvUnified: boolean}> {
    const bindings = (model as unknown as {_llama?: {_bindings?: {AddonContext?: AddonContextClass}}})._llama?._bindings;
    const original = bindings?.AddonContext;
    const patched = typeof (original?.prototype as {airlabelStepsSharePrefix?: unknown} | undefined)?.airlabelStepsSharePrefix === "function";
    if (!kvUnified || bindings === undefined || original === undefined || !patched) return {context: await model.createContext(options), kvUnified: false};
    bindings.AddonContext = new Proxy(original, {
        construct(target, args: unknown[]) {
            const [addonModel, addonOptions] = args as [unknown, Record<string, unknown> | undefined];
            return Reflect.construct(target, [addonModel, {...addonOptions, airlabelKvUnified: true}], target) as object;
        }
    });
    try {
        return {context: await model.createContext(options), kvUnified: true};
    } finally {
        bindings.AddonContext = original;
    }
}
