import type {Llama} from "node-llama-cpp";

/**
 * Whether the loaded llama.cpp addon runs each context's decodes (and its sampling) on one thread of its own
 * (native/patches/airlabel-decode-thread.patch). The stock binaries run them on any thread of libuv's pool; with
 * OpenMP each of those becomes the master of a thread team of its own, and with as many llama.cpp threads as cores
 * the teams oversubscribe them (2 cores, 85M F16, 1 sequence: 127 total tokens/s with 2 threads against 167 with 1;
 * with the patch 230-237 with 2 threads).
 */
export function hasDecodeThread(llama: Llama): boolean {
    const bindings = (llama as unknown as {_bindings?: {getAirlabelDecodeThread?: () => boolean}})._bindings;
    return typeof bindings?.getAirlabelDecodeThread === "function" && bindings.getAirlabelDecodeThread();
}
