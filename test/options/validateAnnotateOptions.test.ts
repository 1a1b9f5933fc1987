import {describe, expect, test} from "vitest";
import type {AnnotateOptions} from "../../src/options/AnnotateOptions.js";
import {validateAnnotateOptions} from "../../src/options/validateAnnotateOptions.js";
import {validationMessage} from "../support/validationMessage.js";

const base: AnnotateOptions = {input: "in.jsonl", model: "m.gguf", output: "out"};

function messageOf(options: Partial<AnnotateOptions> & Record<string, unknown>): string {
    return validationMessage({...base, ...options});
}

describe("validateAnnotateOptions messages", () => {
    test.each([
        [{input: ""}, "options.input must be a non-empty string"],
        [{model: undefined}, "options.model must be a non-empty string"],
        [{output: 3}, "options.output must be a non-empty string"],
        [{parallel: 0}, "options.parallel must be a positive integer"],
        [{parallel: 1.5}, "options.parallel must be a positive integer"],
        [{workers: -1}, "options.workers must be a positive integer"],
        [{threads: 0}, "options.threads must be a positive integer"],
        [{shardSize: 0}, "options.shardSize must be a positive integer"],
        [{retryFailed: "yes"}, "options.retryFailed must be a boolean"],
        [{skipEmpty: 1}, "options.skipEmpty must be a boolean"],
        [{oneToMany: "yes"}, "options.oneToMany must be a boolean"],
        [{exclude: "seen.jsonl"}, "options.exclude must be an array of paths"],
        [{rename: {a: "x", b: "x"}}, "options.rename must map column names to distinct non-empty new names"],
        [{rename: {a: ""}}, "options.rename must map column names to distinct non-empty new names"],
        [{idColumn: ""}, "options.idColumn must be a non-empty string"],
        [{examples: ""}, "options.examples must be the path of a dataset file or an array of objects"],
        [{examples: ["great"]}, "options.examples must be the path of a dataset file or an array of objects"],
        [{examplesAnswerColumn: ""}, "options.examplesAnswerColumn must be a non-empty string"],
        [{idColumn: "id", idxColumn: "idx"}, "options.idColumn and options.idxColumn cannot be used together (an idx column already keys the rows)"],
        [{changedRows: "drop"}, "options.changedRows must be one of regenerate, keep"],
        [
            {retryFailed: true, overwrite: true},
            "options.retryFailed and options.overwrite cannot be used together (--overwrite starts over, --retry-failed keeps the run)"
        ],
        [{maxRows: 0}, "options.maxRows must be a positive integer"],
        [{shuffleSeed: -1}, "options.shuffleSeed must be a non-negative integer"],
        [{stopGraceMs: -1}, "options.stopGraceMs must be a non-negative integer"],
        [{stopGraceMs: 1.5}, "options.stopGraceMs must be a non-negative integer"],
        [{rowTimeout: 0}, "options.rowTimeout must be a number of seconds > 0"],
        [{rowTimeout: Number.NaN}, "options.rowTimeout must be a number of seconds > 0"],
        [{retriesInvalid: -1}, "options.retriesInvalid must be a non-negative integer"],
        [{grammarMaxStringLength: 0}, "options.grammarMaxStringLength must be a positive integer"],
        [{grammarMaxItems: 1.5}, "options.grammarMaxItems must be a positive integer"],
        [{contextSize: 10}, "options.contextSize must be an integer of at least 64"],
        [{maxTokens: 0}, "options.maxTokens must be a positive integer"],
        [{temperature: -0.1}, "options.temperature must be a number >= 0"],
        [{topP: 0}, "options.topP must be a number in (0, 1]"],
        [{topK: 1.5}, "options.topK must be a non-negative integer"],
        [{minP: 2}, "options.minP must be a number in [0, 1]"],
        [{seed: -3}, "options.seed must be a non-negative integer"],
        [{stop: [""]}, "options.stop must be an array of non-empty strings"],
        [{repeatPenalty: 0}, "options.repeatPenalty must be a number > 0"],
        [{ignoreEos: "yes"}, "options.ignoreEos must be a boolean"],
        [{jumpForward: "no"}, "options.jumpForward must be true or false"],
        [{sharePrefix: 0}, "options.sharePrefix must be true or false"],
        [{choices: ["a"]}, "options.choices must be at least two distinct non-empty strings"],
        [{choices: ["a", "a"]}, "options.choices must be at least two distinct non-empty strings"],
        [{schema: {}, choices: ["a", "b"]}, "options.schema and options.choices cannot be used together"],
        [{schema: []}, "options.schema must be a JSON Schema object"],
        [{keepColumns: "text"}, "options.keepColumns must be an array of strings"],
        [{gpuLayers: "lots"}, 'options.gpuLayers must be a non-negative integer, "max" or "auto"'],
        [{sort: "random"}, "options.sort must be one of shortest, longest, none"],
        [{format: "csv"}, "options.format must be one of jsonl, parquet, arrow"],
        [{gpu: "tpu"}, "options.gpu must be one of auto, cuda, metal, vulkan, cpu"],
        [{chatTemplate: "chatml"}, "options.chatTemplate must be one of auto, none"],
        [{params: [1]}, "options.params must be an object of generation parameters (name: JSON value)"],
        [{params: {temperature: 0.5}}, "options.params.temperature is a field airlabel sets itself; use --temperature instead"],
        [
            {params: {response_format: {type: "json_object"}}},
            "options.params.response_format is a field airlabel sets itself; use --schema or --choices instead"
        ],
        [{params: {presence_penalty: Number.NaN}}, "options.params.presence_penalty must be a JSON value (string, number, boolean, null, array or object)"],
        [
            {params: {min_tokens: 5}},
            "options.params.min_tokens is not supported by the local backend (llama.cpp); it supports frequency_penalty, logit_bias, presence_penalty, repeat_last_n (the openai backend sends any parameter)"
        ],
        [{params: {presence_penalty: "0.5"}}, "options.params.presence_penalty must be a number"],
        [{params: {repeat_last_n: -1}}, "options.params.repeat_last_n must be a non-negative integer"],
        [
            {params: {logit_bias: {abc: 1}}},
            'options.params.logit_bias must be an object of token id: bias (a number added to the logit, or false to ban the token), e.g. {"15043": -100}'
        ]
    ] as [Record<string, unknown>, string][])("%j -> %s", (options, message) => {
        expect(messageOf(options)).toBe(message);
    });

    test("placement options are validated here (messages in placementOptions.test.ts) and kept for the run", () => {
        expect(validateAnnotateOptions({...base, splitMode: "row", tensorSplit: [3, 1], mainGpu: 1}).placement).toEqual({
            splitMode: "row",
            tensorSplit: [0.75, 0.25],
            mainGpu: 1,
            devices: undefined,
            replicas: undefined
        });
    });

    test("params: sorted keys (the run identity does not depend on their order), none when empty; the openai backend takes any", () => {
        expect(validateAnnotateOptions({...base, params: {presence_penalty: 0.5, logit_bias: {"9": -2, "10": false}}}).params).toEqual({
            logit_bias: {"10": false, "9": -2},
            presence_penalty: 0.5
        });
        expect(Object.keys(validateAnnotateOptions({...base, params: {presence_penalty: 0.5, frequency_penalty: 1}}).params!)).toEqual([
            "frequency_penalty",
            "presence_penalty"
        ]);
        expect(validateAnnotateOptions({...base, params: {}}).params).toBeUndefined();
        const remote = {...base, backend: "openai" as const, baseUrl: "http://127.0.0.1:1/v1"};
        expect(validateAnnotateOptions({...remote, params: {min_tokens: 5, chat_template_kwargs: {enable_thinking: false}}}).params).toEqual({
            chat_template_kwargs: {enable_thinking: false},
            min_tokens: 5
        });
        expect(validationMessage({...remote, params: {max_tokens: 5}})).toBe(
            "options.params.max_tokens is a field airlabel sets itself; use --max-tokens instead"
        );
    });

    test("defaults are filled in", () => {
        const resolved = validateAnnotateOptions(base);
        expect(resolved.template).toBe("{text}");
        expect(resolved.sort).toBe("longest");
        expect(resolved.format).toBe("jsonl");
        expect(resolved.retriesInvalid).toBe(2);
        expect(resolved.generation).toEqual({maxTokens: 256, temperature: 0, topP: 1, topK: 0, minP: 0, seed: 0, stop: [], repeatPenalty: 1, ignoreEos: false});
    });

    test("AIRLABEL_THREADS sets the default llama.cpp threads; --threads wins; a bad value is named", () => {
        const saved = process.env.AIRLABEL_THREADS;
        try {
            process.env.AIRLABEL_THREADS = "3";
            expect(validateAnnotateOptions(base).threads).toBe(3);
            expect(validateAnnotateOptions({...base, threads: 2}).threads).toBe(2);
            process.env.AIRLABEL_THREADS = "two";
            expect(messageOf({})).toBe('AIRLABEL_THREADS must be a positive integer (got "two")');
            delete process.env.AIRLABEL_THREADS;
            expect(validateAnnotateOptions(base).threads).toBeUndefined();
        } finally {
            if (saved === undefined) delete process.env.AIRLABEL_THREADS;
            else process.env.AIRLABEL_THREADS = saved;
        }
    });
});
