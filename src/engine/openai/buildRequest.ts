import type {ChatMessage} from "../../chat/ChatMessage.js";
import {plainTranscript} from "../../chat/plainTranscript.js";
import type {AttemptSampling} from "../samplingForAttempt.js";
import type {GenerationOptions} from "../../options/AnnotateOptions.js";

export type RequestSpec = {
    endpoint: "chat" | "completions";
    /** The server's model name. */
    model: string;
    system: string | undefined;
    /** The conversation's turns between the system message and the prompt (few-shot examples, a prompt hook's message list). Defaults to none. */
    turns?: readonly ChatMessage[];
    /** JSON Schema of the answer, or null for free text. */
    schema: Record<string, unknown> | boolean | null;
    generation: Required<GenerationOptions>;
    /** Ask for server-sent events with usage in the last chunk. */
    stream: boolean;
    /**
     * Also send the schema as llama-server's own `json_schema` field, which its completions endpoint reads (it ignores
     * `response_format` there). Only where the startup probe found it needed: SGLang takes a string in that field.
     * Defaults to false.
     */
    jsonSchemaField?: boolean;
    /** Ask for each generated token's log-probability (`--confidence`). Defaults to false. */
    logprobs?: boolean;
    /** The user's extra request fields (`--param`), merged into the body after airlabel's own; none of them is one airlabel sets (see RESERVED_PARAMS). Defaults to none. */
    params?: Record<string, unknown>;
};

export type BuiltRequest = {path: "/chat/completions" | "/completions"; body: Record<string, unknown>};

/** Name of the schema in `response_format.json_schema.name` (letters, digits, _ and - only). */
const schemaName = "airlabel_answer";

/**
 * One OpenAI-compatible request body. Structured output is asked for twice: `response_format` with a `json_schema`
 * (OpenAI, vLLM, llama-server, SGLang) and vLLM's `structured_outputs: {json}`, and where the probe found it needed
 * as llama-server's `json_schema` (its completions endpoint ignores `response_format`); never `guided_json`, which
 * vLLM >= 0.12 ignores silently. Samplers beyond OpenAI's (top_k, min_p, the repeat penalty as vLLM's
 * `repetition_penalty` and llama-server's `repeat_penalty`, ignore_eos) are sent only when they differ from "off",
 * so a strict server is not sent fields it would reject without need.
 * The chat endpoint gets the conversation as `messages`: the system message (if any), the turns, the prompt as the last
 * user message. The completions endpoint gets it as one `prompt`, its messages separated by a blank line (see
 * plainTranscript): the system message, if any, then the turns, then the prompt.
 * The user's `params` come last.
 */
export function buildRequest(spec: RequestSpec, prompt: string, sampling: AttemptSampling): BuiltRequest {
    const gen = spec.generation;
    const body: Record<string, unknown> = {model: spec.model};
    let path: BuiltRequest["path"];
    const messages: ChatMessage[] = [
        ...(spec.system !== undefined ? [{role: "system" as const, content: spec.system}] : []),
        ...(spec.turns ?? []),
        {role: "user", content: prompt}
    ];
    if (spec.endpoint === "chat") {
        path = "/chat/completions";
        body.messages = messages.map(({role, content}) => ({role, content}));
    } else {
        path = "/completions";
        body.prompt = plainTranscript(messages);
    }
    body.max_tokens = gen.maxTokens;
    body.temperature = sampling.temperature;
    body.top_p = sampling.topP;
    body.seed = sampling.seed;
    body.n = 1;
    body.stream = spec.stream;
    if (spec.stream) body.stream_options = {include_usage: true};
    if (gen.stop.length > 0) body.stop = gen.stop;
    if (sampling.topK > 0) body.top_k = sampling.topK;
    if (sampling.minP > 0) body.min_p = sampling.minP;
    if (gen.repeatPenalty !== 1) {
        // vLLM's and SGLang's name, and llama-server's (each ignores the other's)
        body.repetition_penalty = gen.repeatPenalty;
        body.repeat_penalty = gen.repeatPenalty;
    }
    if (spec.schema !== null) {
        const schema = schemaObject(spec.schema);
        body.response_format = {type: "json_schema", json_schema: {name: schemaName, schema, strict: true}};
        body.structured_outputs = {json: schema};
        if (spec.jsonSchemaField === true) body.json_schema = schema;
    } else if (gen.ignoreEos) {
        body.ignore_eos = true;
    }
    if (spec.logprobs === true) {
        // chat: a flag and how many alternatives; completions: how many alternatives (OpenAI, vLLM and llama-server
        // return the sampled token's log-probability with them; llama-server returns none at 0)
        if (spec.endpoint === "chat") {
            body.logprobs = true;
            body.top_logprobs = 1;
        } else {
            body.logprobs = 1;
        }
    }
    if (spec.params !== undefined) Object.assign(body, spec.params);
    return {path, body};
}

/** Boolean schemas as objects: `true` accepts anything (`{}`), `false` nothing (`{not: {}}`). */
function schemaObject(schema: Record<string, unknown> | boolean): Record<string, unknown> {
    if (schema === true) return {};
    if (schema === false) return {not: {}};
    return schema;
}
