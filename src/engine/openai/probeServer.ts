import type {RequestSpec} from "./buildRequest.js";
import {buildRequest} from "./buildRequest.js";
import {RemoteServerError} from "./openaiErrors.js";
import type {RequestSender} from "./RequestSender.js";

/** A value an unconstrained model would not write when asked to say hello: only a server that enforces the schema returns it. */
const probeValue = "airlabel-probe-7f3a";

/** The probe's schema: one required property whose only allowed value is {@link probeValue}. */
const probeSchema = {
    type: "object",
    properties: {probe: {type: "string", enum: [probeValue]}},
    required: ["probe"],
    additionalProperties: false
};

export type ProbeResult = {
    constrained: boolean | null;
    warning: string | null;
    /** The schema constrained only when also sent as llama-server's `json_schema` field (its completions endpoint): send it so. */
    jsonSchemaField?: boolean;
};

/**
 * One tiny request before the run. Without a schema it only checks that the server answers for the model. With a
 * schema it asks for a greeting under {@link probeSchema}: a server that enforces structured output must answer
 * `{"probe": "airlabel-probe-7f3a"}`; anything else means the schema was ignored, which is worth a warning (answers
 * are still validated and retried, but most will fail). A refused probe stops the run with the server's message.
 * The user's `params` are left out: they are meant for the rows' requests (a `min_tokens` above the probe's few tokens,
 * a `logit_bias` against its answer). On the completions endpoint, a schema the server ignored is probed once more
 * with llama-server's own `json_schema` field too; where that constrains it, the run sends it (`jsonSchemaField`).
 */
export async function probeServer(sender: RequestSender, spec: RequestSpec): Promise<ProbeResult> {
    const first = await probeOnce(sender, spec, false, 32);
    if (first.constrained !== false || spec.endpoint !== "completions") return first;
    // llama-server's completions endpoint ignores response_format and reads its own json_schema field (with room for
    // a small vocabulary's many tokens; a server that refuses this probe keeps the first one's verdict)
    const again = await probeOnce(sender, spec, true, 64).catch(() => first);
    return again.constrained === true ? {...again, jsonSchemaField: true} : first;
}

async function probeOnce(sender: RequestSender, spec: RequestSpec, jsonSchemaField: boolean, maxTokens: number): Promise<ProbeResult> {
    const {params: _params, turns: _turns, ...rest} = spec;
    const probeSpec: RequestSpec = {
        ...rest,
        system: undefined,
        schema: spec.schema === null ? null : probeSchema,
        generation: {...spec.generation, maxTokens: spec.schema === null ? 1 : maxTokens, stop: [], ignoreEos: false},
        ...(jsonSchemaField ? {jsonSchemaField: true} : {})
    };
    const {path, body} = buildRequest(probeSpec, "Say hello.", {temperature: 0, topP: 1, topK: 0, minP: 0, seed: 0});
    const outcome = await sender.send(path, body, 40, "the startup probe");
    if (!outcome.ok) {
        throw new RemoteServerError(
            `${sender.baseUrl}: the startup probe was refused (${outcome.reason.replace(/^server refused the request: /u, "")}); ` +
                (spec.schema === null
                    ? "check --model and the server's logs"
                    : "the server may not support response_format json_schema; check its version and logs")
        );
    }
    if (spec.schema === null) return {constrained: null, warning: null};
    const text = outcome.completion.text.trim();
    let value: unknown = null;
    try {
        value = JSON.parse(text);
    } catch {
        /* unconstrained text */
    }
    if (typeof value === "object" && value !== null && (value as {probe?: unknown}).probe === probeValue && Object.keys(value).length === 1)
        return {constrained: true, warning: null};
    return {
        constrained: false,
        warning:
            `${sender.baseUrl} did not constrain the startup probe to its JSON schema (it answered ${JSON.stringify(text.slice(0, 60))}): ` +
            "the server seems to ignore response_format / structured_outputs; answers are still validated and invalid ones retried, but expect failed rows"
    };
}
