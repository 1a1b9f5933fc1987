import type {Llama, LlamaContext, LlamaModel} from "node-llama-cpp";
import {EngineError} from "../EngineError.js";
import {addonContextOf} from "./addonContextOf.js";
import type {GenerationDriver} from "./GenerationRequest.js";
import {NativeStepDriver} from "./NativeStepDriver.js";

/** What {@link placeArgmax} needs: the worker's llama.cpp, model, context and driver, and the run's choice. */
export type PlaceArgmaxOptions = {
    llama: Llama;
    model: LlamaModel;
    context: LlamaContext;
    driver: GenerationDriver;
    /** See AnnotateOptions.argmax. Defaults to "auto". */
    argmax?: "auto" | "graph" | "host";
};

/**
 * Where a worker's greedy decoding picks its tokens. "graph" makes every decode's graph also take each output row's
 * argmax (airlabel's argmax patch to llama.cpp: one op over the logits, on the device holding the output layer, one
 * token per row copied out): the native decode loop takes a plain greedy sequence's token from it, and a step copies
 * logits rows to the host only when a sequence in it needs them (a grammar to check the token against, another
 * sampler, log-probabilities). "auto" does so where the output layer is on a GPU: there the argmax costs the device
 * microseconds and saves the host a vocabulary-sized row per sequence and step; on CPU ggml's argmax (one thread,
 * scalar) is slower than the host's (bench/RESULTS.md). Returns where tokens are picked; "graph" on a binary without
 * the patch or the native loop is an EngineError.
 */
export function placeArgmax({llama, model, context, driver, argmax = "auto"}: PlaceArgmaxOptions): "graph" | "host" {
    if (argmax === "host") return "host";
    const addon = addonContextOf(context);
    if (!(driver instanceof NativeStepDriver) || typeof addon?.airlabelGraphArgmax !== "function") {
        if (argmax === "auto") return "host";
        throw new EngineError(
            "--argmax graph needs airlabel's native decode loop with its argmax patch, which this llama.cpp binary lacks; build it with `npm run build:native` (add `-- --gpu cuda` etc. for a GPU), or use --argmax host"
        );
    }
    const outputOnGpu = llama.gpu !== false && model.gpuLayers >= model.fileInsights.totalLayers;
    if (argmax === "auto" && !outputOnGpu) return "host";
    return addon.airlabelGraphArgmax(true) ? "graph" : "host";
}
