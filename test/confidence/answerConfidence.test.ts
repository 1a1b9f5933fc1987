import {describe, expect, it} from "vitest";
import {answerConfidence} from "../../src/engine/confidence/answerConfidence.js";
import {majorityVote} from "../../src/engine/confidence/majorityVote.js";
import {logprobsOfChoice} from "../../src/engine/openai/logprobsOfChoice.js";
import {jsonValueSpans} from "../../src/json/jsonValueSpans.js";

const tokens = (...pieces: [string, number][]) => pieces.map(([text, p]) => ({text, logprob: Math.log(p)}));

describe("answerConfidence", () => {
    it("a --choices answer: the product of the probabilities of the tokens spelling the label (quotes with it)", () => {
        const confidence = answerConfidence({
            response: '"positive"',
            tokens: tokens(['"', 0.99], ["pos", 0.8], ["itive", 0.9], ['"', 0.95]),
            schema: {type: "string", enum: ["positive", "negative"]}
        });
        // the quote tokens do not spell the label; "pos" and "itive" do
        expect(confidence).toBeCloseTo(0.8 * 0.9, 6);
    });

    it("an object with an enum property: the label's tokens only, not the rationale's", () => {
        const response = '{"label": "spam", "why": "it sells pills"}';
        const confidence = answerConfidence({
            response,
            tokens: tokens(
                ['{"', 1],
                ["label", 1],
                ['":', 1],
                [' "', 0.9],
                ["spam", 0.5],
                ['",', 1],
                [' "', 1],
                ["why", 1],
                ['":', 1],
                [' "', 1],
                ["it sells pills", 0.01],
                ['"}', 1]
            ),
            schema: {type: "object", properties: {label: {enum: ["spam", "ham"]}, why: {type: "string"}}}
        });
        // ' "' spells the quote before the label, which is not the label: only "spam" counts
        expect(confidence).toBeCloseTo(0.5, 6);
    });

    it("no label in the schema: the geometric mean of the value tokens' probabilities (keys and punctuation left out)", () => {
        const confidence = answerConfidence({
            response: '{"summary": "ok", "n": 12}',
            tokens: tokens(['{"', 0.1], ["summary", 0.1], ['": "', 0.1], ["ok", 0.25], ['", "', 0.1], ["n", 0.1], ['": ', 0.1], ["12", 0.64], ["}", 0.1]),
            schema: {type: "object", properties: {summary: {type: "string"}, n: {type: "integer"}}}
        });
        // the ": " token spells the quote before "ok" only; "ok" and "12" are the values
        expect(confidence).toBeCloseTo(Math.sqrt(0.25 * 0.64), 6);
    });

    it("free text: the geometric mean over every token; tokens past the answer's end (a stop string) are left out", () => {
        const confidence = answerConfidence({response: "a cat", tokens: tokens(["a", 0.5], [" cat", 0.125], ["\n\n", 0.000001]), schema: null});
        expect(confidence).toBeCloseTo(0.25, 6);
    });

    it("two label properties: their joint probability", () => {
        const confidence = answerConfidence({
            response: '{"a":true,"b":"x"}',
            tokens: tokens(['{"a":', 1], ["true", 0.5], [',"b":"', 1], ["x", 0.5], ['"}', 1]),
            schema: {type: "object", properties: {a: {type: "boolean"}, b: {enum: ["x", "y"]}}}
        });
        expect(confidence).toBeCloseTo(0.25, 6);
    });

    it("an answer no token spells has no confidence (null), nor does text that is not JSON", () => {
        expect(answerConfidence({response: "", tokens: [], schema: null})).toBeNull();
        expect(answerConfidence({response: "{oops", tokens: tokens(["{oops", 0.5]), schema: {type: "object"}})).toBeNull();
    });
});

describe("jsonValueSpans", () => {
    it("finds each top-level key's value and every leaf, strings between their quotes", () => {
        const text = ' {"a": "x\\"y", "b": [1, {"c": null}], "d": {}} ';
        const spans = jsonValueSpans(text)!;
        const at = (span: {start: number; end: number}) => text.slice(span.start, span.end);
        expect(at(spans.keys.get("a")!)).toBe('x\\"y');
        expect(at(spans.keys.get("b")!)).toBe('[1, {"c": null}]');
        expect(at(spans.keys.get("d")!)).toBe("{}");
        expect(spans.leaves.map(at)).toEqual(['x\\"y', "1", "null"]);
        expect(jsonValueSpans('{"a": 1} x')).toBeUndefined();
    });
});

describe("majorityVote", () => {
    const schema = {type: "object", properties: {label: {enum: ["a", "b"]}, why: {type: "string"}}};

    it("votes by the label, keeps the first answer of the winning label, shares over every sample (failed ones too)", () => {
        const answers = [
            {label: "a", why: "1"},
            {label: "b", why: "2"},
            {label: "b", why: "3"}
        ];
        expect(majorityVote(answers, schema, 4)).toEqual({index: 1, share: 0.5});
    });

    it("a tie goes to the label an earlier sample gave", () => {
        expect(majorityVote(["b", "a", "a", "b"], {enum: ["a", "b"]}, 4)).toEqual({index: 0, share: 0.5});
    });

    it("without a label, whole answers vote (key order does not matter)", () => {
        expect(majorityVote([{x: 1, y: 2}, {y: 2, x: 1}, {x: 3}], {type: "object"}, 3)).toEqual({index: 0, share: 0.666667});
        expect(majorityVote([], schema, 3)).toBeUndefined();
    });
});

describe("logprobsOfChoice", () => {
    it("reads OpenAI/vLLM/llama-server chat content, decoding bytes so a character split over tokens belongs to the last", () => {
        const euro = [...Buffer.from("€")];
        const choice = {
            logprobs: {
                content: [
                    {token: "a", logprob: -0.5, bytes: [97]},
                    {token: "bytes:\\xe2", logprob: -1, bytes: euro.slice(0, 1)},
                    {token: "bytes:\\x82\\xac", logprob: -2, bytes: euro.slice(1)}
                ]
            }
        };
        expect(logprobsOfChoice(choice)).toEqual([
            {text: "a", logprob: -0.5},
            {text: "", logprob: -1},
            {text: "€", logprob: -2}
        ]);
    });

    it("reads the completions shape (tokens, token_logprobs) and has nothing without logprobs", () => {
        expect(logprobsOfChoice({logprobs: {tokens: ["x", "y"], token_logprobs: [-1, null]}})).toEqual([
            {text: "x", logprob: -1},
            {text: "y", logprob: Number.NaN}
        ]);
        expect(logprobsOfChoice({logprobs: null})).toBeUndefined();
    });
});
