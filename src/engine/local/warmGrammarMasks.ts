import {type LlamaGrammar, LlamaGrammarEvaluationState, type LlamaModel} from "node-llama-cpp";
import {addonSamplerClassOf, nativeGrammarState} from "./addonSamplerClass.js";

/** How long a worker spends computing a grammar's masks when it loads it, at most (the demo schema's 111 masks on the 128k vocabulary: 0.25 s, idle). */
const WARM_BUDGET_MS = 1000;
/** How many grammar states it goes through, at most. */
const WARM_MAX_STATES = 1024;

/**
 * Computes, when a worker loads a grammar, the allowed-token masks of the grammar states a run meets first: from the
 * start, breadth first, through every state that allows few tokens (`{`, keys, enum values, punctuation, digits),
 * into the grammar's mask cache that every sequence and row shares (airlabel's grammar patch). A run's first steps
 * then check their tokens against cached masks instead of computing each state's mask over the whole vocabulary
 * (about 0.1 ms each at 128k tokens) while a GPU waits. Returns how many masks it computed; 0 where the binary
 * lacks the patch, with `AIRLABEL_GRAMMAR_WARMUP=0` (to compare), and with `AIRLABEL_SAMPLING_CHECK_MASKS=1` (which
 * checks each mask a run computes against llama.cpp's own, so a run must compute them all).
 */
export function warmGrammarMasks(model: LlamaModel, grammar: LlamaGrammar): number {
    if (process.env.AIRLABEL_GRAMMAR_WARMUP === "0" || process.env.AIRLABEL_SAMPLING_CHECK_MASKS === "1") return 0;
    const warm = addonSamplerClassOf(model)?.airlabelWarmGrammarMasks;
    if (warm === undefined) return 0;
    return warm(nativeGrammarState(new LlamaGrammarEvaluationState({model, grammar})), WARM_BUDGET_MS, WARM_MAX_STATES);
}
