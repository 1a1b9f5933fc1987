import {describe, expect, test} from "vitest";
import {buildRequest} from "../../src/engine/openai/buildRequest.js";
import {parseCompletion, parseServerError} from "../../src/engine/openai/parseCompletion.js";
import {parseCompletionStream} from "../../src/engine/openai/parseCompletionStream.js";
import {RateLimiter} from "../../src/engine/openai/RateLimiter.js";
import {parseRetryAfterMs, retryDelayMs} from "../../src/engine/openai/retryDelay.js";
import {generationDefaults} from "../../src/options/AnnotateOptions.js";

const sampling = {temperature: 0.7, topP: 0.9, topK: 0, minP: 0, seed: 5};

describe("openai request pieces", () => {
    test("chat request: messages, sampling, structured output both ways, no guided_json, extra samplers only when set", () => {
        const schema = {type: "object", properties: {a: {type: "string"}}};
        const {path, body} = buildRequest(
            {endpoint: "chat", model: "m", system: "sys", schema, generation: {...generationDefaults, maxTokens: 20, stop: ["\n\n"]}, stream: false},
            "hi",
            sampling
        );
        expect(path).toBe("/chat/completions");
        expect(body).toEqual({
            model: "m",
            messages: [
                {role: "system", content: "sys"},
                {role: "user", content: "hi"}
            ],
            max_tokens: 20,
            temperature: 0.7,
            top_p: 0.9,
            seed: 5,
            n: 1,
            stream: false,
            stop: ["\n\n"],
            response_format: {type: "json_schema", json_schema: {name: "airlabel_answer", schema, strict: true}},
            structured_outputs: {json: schema}
        });
        const extra = buildRequest(
            {
                endpoint: "completions",
                model: "m",
                system: undefined,
                schema: null,
                generation: {...generationDefaults, repeatPenalty: 1.1, ignoreEos: true},
                stream: true
            },
            "hi",
            {...sampling, topK: 40, minP: 0.05}
        );
        expect(extra.path).toBe("/completions");
        expect(extra.body).toMatchObject({
            prompt: "hi",
            stream: true,
            stream_options: {include_usage: true},
            top_k: 40,
            min_p: 0.05,
            repetition_penalty: 1.1,
            repeat_penalty: 1.1,
            ignore_eos: true
        });
        expect(extra.body).not.toHaveProperty("response_format");
    });

    test("responses: chat and completions text, finish_reason length, usage; malformed bodies are described", () => {
        expect(
            parseCompletion(JSON.stringify({choices: [{message: {content: "{}"}, finish_reason: "stop"}], usage: {prompt_tokens: 7, completion_tokens: 2}}))
        ).toEqual({text: "{}", finishReason: "stop", promptTokens: 7, completionTokens: 2});
        expect(parseCompletion(JSON.stringify({choices: [{text: "abc", finish_reason: "length"}]}))).toEqual({
            text: "abc",
            finishReason: "length",
            promptTokens: null,
            completionTokens: null
        });
        expect(parseCompletion('{"choices": [')).toEqual({malformed: 'response body is not JSON (13 bytes, starts "{\\"choices\\": [")'});
        expect(parseCompletion(JSON.stringify({error: {message: "engine dead"}}))).toEqual({malformed: "error in a 200 response: engine dead"});
        expect(parseServerError(JSON.stringify({error: {message: "too long", type: "BadRequestError", param: "max_tokens", code: 400}}))).toEqual({
            message: "too long",
            type: "BadRequestError",
            param: "max_tokens",
            code: 400
        });
        expect(parseServerError(JSON.stringify({object: "error", message: "old vllm", type: "BadRequestError", param: null, code: 400}))).toEqual({
            message: "old vllm",
            type: "BadRequestError",
            param: null,
            code: 400
        });
        expect(parseServerError("<html>bad gateway</html>")).toBeNull();
        const sse = (...chunks: unknown[]) => chunks.map((c) => `data: ${typeof c === "string" ? c : JSON.stringify(c)}\n\n`).join("");
        expect(
            parseCompletionStream(
                sse(
                    {choices: [{delta: {role: "assistant"}}]},
                    {choices: [{delta: {content: '{"a"'}}]},
                    {choices: [{delta: {content: ": 1}"}, finish_reason: "stop"}]},
                    {choices: [], usage: {prompt_tokens: 9, completion_tokens: 4}},
                    "[DONE]"
                )
            )
        ).toEqual({text: '{"a": 1}', finishReason: "stop", promptTokens: 9, completionTokens: 4});
        expect(parseCompletionStream(sse({choices: [{text: "ab"}]}, {error: {message: "engine died", type: "InternalServerError"}}, "[DONE]"))).toEqual({
            malformed: "error chunk in the stream after HTTP 200: engine died"
        });
        expect(parseCompletionStream(sse({choices: [{text: "ab"}]}))).toEqual({malformed: "stream cut before its end"});
    });

    test("Retry-After in seconds or as a date is honoured (capped); otherwise exponential backoff with jitter", () => {
        const policy = {baseDelayMs: 100, maxDelayMs: 5000};
        expect(parseRetryAfterMs("3")).toBe(3000);
        expect(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(10_000);
        expect(parseRetryAfterMs("soon")).toBeNull();
        expect(retryDelayMs(1, "2", policy)).toBe(2000);
        expect(retryDelayMs(1, "120", policy)).toBe(5000);
        expect(retryDelayMs(1, undefined, policy, () => 0)).toBe(50);
        expect(retryDelayMs(1, undefined, policy, () => 1)).toBe(100);
        expect(retryDelayMs(4, undefined, policy, () => 1)).toBe(800);
        expect(retryDelayMs(20, undefined, policy, () => 1)).toBe(5000);
    });

    test("the rate limiter lets one second's share through at once and serves callers in order", async () => {
        // 180 per minute: 3 per second
        const limiter = new RateLimiter({requestsPerMinute: 180, tokensPerMinute: null});
        const order: number[] = [];
        await Promise.all([1, 2, 3].map((i) => limiter.acquire(10).then(() => order.push(i))));
        expect(order).toEqual([1, 2, 3]);
        const controller = new AbortController();
        const fourth = limiter.acquire(10, controller.signal);
        controller.abort(new Error("stopped"));
        await expect(fourth).rejects.toThrow("stopped");
    });
});
