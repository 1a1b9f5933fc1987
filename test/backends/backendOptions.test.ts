import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {readApiKey} from "../../src/engine/openai/readApiKey.js";
import type {AnnotateOptions} from "../../src/options/AnnotateOptions.js";
import {validateAnnotateOptions} from "../../src/options/validateAnnotateOptions.js";
import {tempDir} from "../support/fixtures.js";
import {validationMessage} from "../support/validationMessage.js";

const remote: AnnotateOptions = {input: "in.jsonl", model: "Qwen/Qwen2.5-7B-Instruct", output: "out", backend: "openai", baseUrl: "http://gpu1:8000/v1"};

function messageOf(options: Record<string, unknown>): string {
    return validationMessage({...remote, ...options});
}

describe("backend options", () => {
    test.each([
        [{backend: "tgi"}, "options.backend must be one of local, openai, vllm"],
        [{baseUrl: undefined}, "options.baseUrl must be an http:// or https:// URL (the server's API root, e.g. http://host:8000/v1)"],
        [{baseUrl: "gpu1:8000"}, "options.baseUrl must be an http:// or https:// URL (the server's API root, e.g. http://host:8000/v1)"],
        [{baseUrl: "ftp://gpu1/v1"}, "options.baseUrl must be an http:// or https:// URL (the server's API root, e.g. http://host:8000/v1)"],
        [
            {baseUrl: "http://user:pw@gpu1/v1"},
            "options.baseUrl must not hold credentials, a query or a fragment; pass the key with options.apiKeyEnv or options.apiKeyFile"
        ],
        [
            {baseUrl: "http://gpu1/v1?key=x"},
            "options.baseUrl must not hold credentials, a query or a fragment; pass the key with options.apiKeyEnv or options.apiKeyFile"
        ],
        [{apiKeyEnv: "MY-KEY"}, "options.apiKeyEnv must be an environment variable name"],
        [{apiKeyFile: ""}, "options.apiKeyFile must be a non-empty string"],
        [{apiKeyEnv: "K", apiKeyFile: "k.txt"}, "options.apiKeyEnv and options.apiKeyFile cannot be used together"],
        [{endpoint: "responses"}, "options.endpoint must be one of chat, completions"],
        [{stream: "yes"}, "options.stream must be a boolean"],
        [{concurrency: 0}, "options.concurrency must be a positive integer"],
        [{concurrency: 2.5}, "options.concurrency must be a positive integer"],
        [{maxRequestsPerMinute: 0}, "options.maxRequestsPerMinute must be a positive integer"],
        [{maxTokensPerMinute: -5}, "options.maxTokensPerMinute must be a positive integer"],
        [{requestTimeoutMs: 0}, "options.requestTimeoutMs must be a positive integer"],
        [{maxRequestAttempts: 0}, "options.maxRequestAttempts must be a positive integer"],
        [{retryBaseDelayMs: -1}, "options.retryBaseDelayMs must be a non-negative integer"],
        [{retryMaxDelayMs: 1.5}, "options.retryMaxDelayMs must be a non-negative integer"],
        [{backend: "local", baseUrl: "http://gpu1:8000/v1"}, 'options.baseUrl needs options.backend "openai" (or "vllm"); remove it or set the backend'],
        [
            {backend: undefined, baseUrl: undefined, concurrency: 4},
            'options.concurrency needs options.backend "openai" (or "vllm"); remove it or set the backend'
        ]
    ] as [Record<string, unknown>, string][])("%j -> %s", (options, message) => {
        expect(messageOf(options)).toBe(message);
    });

    test("defaults are filled in; vllm is an alias; the base URL loses its trailing slash", () => {
        expect(validateAnnotateOptions({...remote, backend: "vllm", baseUrl: "https://gpu1:8000/v1/"}).resolvedBackend).toEqual({
            backend: "openai",
            remote: {
                baseUrl: "https://gpu1:8000/v1",
                apiKeyEnv: null,
                apiKeyFile: null,
                endpoint: "chat",
                stream: false,
                concurrency: 64,
                maxRequestsPerMinute: null,
                maxTokensPerMinute: null,
                requestTimeoutMs: 600_000,
                maxRequestAttempts: 6,
                retryBaseDelayMs: 500,
                retryMaxDelayMs: 60_000
            }
        });
        expect(validateAnnotateOptions({input: "in.jsonl", model: "m.gguf", output: "out"}).resolvedBackend).toEqual({backend: "local", remote: null});
    });

    test("the API key comes from a variable or the first line of a file; a missing one is named, never shown", () => {
        const dir = tempDir();
        const file = path.join(dir, "key.txt");
        fs.writeFileSync(file, "  sk-file-key  \nsecond line\n");
        expect(readApiKey({apiKeyEnv: null, apiKeyFile: file})).toBe("sk-file-key");
        expect(readApiKey({apiKeyEnv: "KEY_VAR", apiKeyFile: null}, {KEY_VAR: "sk-env"})).toBe("sk-env");
        expect(readApiKey({apiKeyEnv: null, apiKeyFile: null})).toBeNull();
        expect(() => readApiKey({apiKeyEnv: "KEY_VAR", apiKeyFile: null}, {})).toThrow(
            "environment variable KEY_VAR (--api-key-env) is not set or empty; export the API key in it"
        );
        expect(() => readApiKey({apiKeyEnv: null, apiKeyFile: path.join(dir, "none.txt")}, {})).toThrow(
            `API key file ${path.join(dir, "none.txt")} (--api-key-file) cannot be read (ENOENT); check the path and its permissions`
        );
        fs.writeFileSync(file, "\n");
        expect(() => readApiKey({apiKeyEnv: null, apiKeyFile: file})).toThrow(`API key file ${file} (--api-key-file) is empty; put the key on its first line`);
    });
});
