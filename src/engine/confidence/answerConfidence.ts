import {type JsonSpan, jsonValueSpans} from "../../json/jsonValueSpans.js";
import {labelKeys} from "./labelKeys.js";
import type {TokenLogprob} from "./TokenLogprob.js";

/** What `answerConfidence` measures an answer from. */
export type AnswerConfidenceOptions = {
    /** The answer text as it was generated (before any parse hook). */
    response: string;
    /** The generated tokens, whose texts spell `response` from its first character (tokens past its end are ignored). */
    tokens: readonly TokenLogprob[];
    /** The run's answer JSON Schema; null for free text. */
    schema: Record<string, unknown> | boolean | null;
};

/**
 * An answer's confidence, from the log-probabilities of the tokens that spell it (the model's own distribution, before
 * temperature, penalties and the grammar):
 * - a label answer (the schema is an `enum`, as `--choices` makes, or an object with `enum` or boolean properties):
 *   the probability of the chosen label(s): exp of the summed log-probabilities of the tokens that spell the values
 *   of those properties (several label properties: their joint probability);
 * - any other answer: the geometric mean of the probabilities of the tokens that spell its values (strings, numbers,
 *   booleans; free text: every token), exp of their mean log-probability.
 * A value in 0..1 to 6 significant digits, or null where no token spells a value (an empty answer).
 */
export function answerConfidence(options: AnswerConfidenceOptions): number | null {
    const offsets = tokenOffsets(options.tokens, options.response.length);
    if (options.schema === null) return geometricMean(options.tokens, offsets, [{start: 0, end: options.response.length}]);
    const spans = jsonValueSpans(options.response);
    if (spans === undefined) return null;
    const labels = labelSpans(options.schema, spans.root, spans.keys);
    if (labels.length > 0) {
        const chosen = overlapping(offsets, labels);
        if (chosen.length === 0) return null;
        return rounded(Math.exp(chosen.reduce((sum, i) => sum + options.tokens[i]!.logprob, 0)));
    }
    return geometricMean(options.tokens, offsets, spans.leaves);
}

/** Each token's [start, end) in the response; tokens past its end are left out. */
function tokenOffsets(tokens: readonly TokenLogprob[], length: number): JsonSpan[] {
    const offsets: JsonSpan[] = [];
    let at = 0;
    for (const token of tokens) {
        if (at >= length) break;
        offsets.push({start: at, end: at + token.text.length});
        at += token.text.length;
    }
    return offsets;
}

/** The spans of the label values: the whole answer, or the label properties' values (see labelKeys). */
function labelSpans(schema: Record<string, unknown> | boolean, root: JsonSpan, keys: Map<string, JsonSpan>): JsonSpan[] {
    const labels = labelKeys(schema);
    if (labels === "root") return [root];
    return labels.map((key) => keys.get(key)).filter((span) => span !== undefined);
}

/** Indexes of the tokens whose characters overlap any span (a token spelling a quote and a label's start counts). */
function overlapping(offsets: readonly JsonSpan[], spans: readonly JsonSpan[]): number[] {
    const chosen: number[] = [];
    offsets.forEach((token, i) => {
        if (token.end > token.start && spans.some((span) => token.start < Math.max(span.end, span.start + 1) && token.end > span.start)) chosen.push(i);
    });
    return chosen;
}

function geometricMean(tokens: readonly TokenLogprob[], offsets: readonly JsonSpan[], spans: readonly JsonSpan[]): number | null {
    const chosen = overlapping(offsets, spans);
    if (chosen.length === 0) return null;
    return rounded(Math.exp(chosen.reduce((sum, i) => sum + tokens[i]!.logprob, 0) / chosen.length));
}

function rounded(value: number): number {
    return Number(value.toPrecision(6));
}
