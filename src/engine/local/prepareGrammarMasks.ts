import type {LlamaContext} from "node-llama-cpp";
import {addonContextOf} from "./addonContextOf.js";

/**
 * Builds, once per vocabulary, the trie of tokens that airlabel's grammar masks walk (about 80 ms at 128k tokens),
 * so that a run with a schema does not pay for it at its first step. Nothing where the binary lacks airlabel's steps
 * patch. Returns whether it was built.
 */
export function prepareGrammarMasks(context: LlamaContext): boolean {
    return addonContextOf(context)?.airlabelPrepareGrammarMasks?.() ?? false;
}
