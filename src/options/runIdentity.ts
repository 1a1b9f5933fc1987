import crypto from "node:crypto";
import path from "node:path";
import type {ChatMessage} from "../chat/ChatMessage.js";
import type {AnnotateOptions} from "./AnnotateOptions.js";
import type {ResolvedAnnotateOptions} from "./validateAnnotateOptions.js";
import {AnswerSchema} from "../schema/AnswerSchema.js";

/**
 * What changing an option changes. Every key derived here follows from it:
 * - `"rows"`: the rows and prompts the prepare stage makes: the prepared cache key, the manifest identity and the skip key;
 * - `"order"`: only the order the rows are prepared in: the prepared cache key;
 * - `"extent"`: how many of the input's rows the run covers: the prepared cache key and the skip key. Raising it adds
 *   rows to a run that goes on (as appending rows to the input does), so the manifest identity holds it, and the
 *   input's content, only while a shuffle (`shuffleSeed`) makes the rows picked depend on the whole input;
 * - `"schema"`: the answer schema: its hash (which the manifest identity, the skip key and the hand-off commands use);
 * - `"answers"`: what is written for the same prompts (sampling, grammar caps, backend, output format): the manifest identity and the skip key;
 * - `"content"`: enters by what it names, not by its value: the input's rows, the model file's fingerprint, the hooks module's bytes;
 * - `"none"`: only how fast or where the run goes, or what its messages say.
 */
export type OptionEffect = "rows" | "order" | "extent" | "schema" | "answers" | "content" | "none";

/** The one list: every option of a run, with what changing it changes (a new option must be added here to compile). */
export const optionEffects: Readonly<Record<keyof AnnotateOptions, OptionEffect>> = {
    input: "content",
    records: "content",
    model: "content",
    hooks: "content",
    inputFormat: "rows",
    template: "rows",
    system: "rows",
    // by content: annotate() (and skipKeyOf) replace a file's name by its rows before any key is made
    examples: "rows",
    examplesAnswerColumn: "rows",
    chatTemplate: "rows",
    keepColumns: "rows",
    maxRows: "extent",
    shuffleSeed: "rows",
    dedup: "rows",
    skipInvalidRows: "rows",
    skipEmpty: "rows",
    rename: "rows",
    exclude: "rows",
    idxColumn: "rows",
    idColumn: "rows",
    changedRows: "none",
    sort: "order",
    schema: "schema",
    choices: "schema",
    // the item columns it adds (item, row_id) are reserved in the prepared rows too
    oneToMany: "rows",
    maxTokens: "answers",
    temperature: "answers",
    topP: "answers",
    topK: "answers",
    minP: "answers",
    seed: "answers",
    stop: "answers",
    repeatPenalty: "answers",
    ignoreEos: "answers",
    seedColumn: "answers",
    params: "answers",
    retriesInvalid: "answers",
    confidence: "answers",
    samples: "answers",
    rowTimeout: "answers",
    grammarMaxStringLength: "answers",
    grammarMaxItems: "answers",
    format: "answers",
    backend: "answers",
    baseUrl: "answers",
    endpoint: "answers",
    output: "none",
    templateOrigin: "none",
    schemaOrigin: "none",
    recordLocation: "none",
    hookTimeoutMs: "none",
    shardSize: "none",
    overwrite: "none",
    retryFailed: "none",
    parallel: "none",
    workers: "none",
    threads: "none",
    argmax: "none",
    jumpForward: "none",
    sharePrefix: "none",
    gpu: "none",
    gpuLayers: "none",
    contextSize: "none",
    splitMode: "none",
    tensorSplit: "none",
    mainGpu: "none",
    devices: "none",
    replicas: "none",
    signal: "none",
    stopGraceMs: "none",
    onProgress: "none",
    onLog: "none",
    apiKeyEnv: "none",
    apiKeyFile: "none",
    stream: "none",
    concurrency: "none",
    maxRequestsPerMinute: "none",
    maxTokensPerMinute: "none",
    requestTimeoutMs: "none",
    maxRequestAttempts: "none",
    retryBaseDelayMs: "none",
    retryMaxDelayMs: "none"
};

/** What a run's identity holds beyond its options: the facts the `"content"` options name. */
export type RunFacts = {
    /** sha256 (hex) of the input's rows. */
    inputHash: string;
    /** The model file's fingerprint (see checkModelFile); `remote:<base URL>:<name>` for a server's model. */
    model: string;
    /** The hooks module: its path and the sha256 of its bytes; null without hooks. */
    hooks: {file: string; sha256: string} | null;
};

/** What the prepared-rows cache is keyed on beyond the options: the input files by content, the model, the prompt hook. */
export type PrepareFacts = {
    /** Each input file with the sha256 of its bytes. */
    files: [file: string, sha256: string][];
    /** The model file's fingerprint. */
    model: string;
    /** sha256 of the hooks module when it has a prompt hook; else undefined. */
    promptHook: string | undefined;
    /** The few-shot turns the examples make (which also depend on the answer schema: see fewShotExamples); absent without examples. */
    exampleTurns?: readonly ChatMessage[];
};

type ResolvedOptions = Pick<ResolvedAnnotateOptions, "resolvedBackend" | "generation"> & Record<string, unknown>;

/**
 * The manifest identity's entries as runs have written them since before this list existed (so those runs still
 * resume): the options each entry holds. The `"rows"`, `"schema"` and `"answers"` options no entry holds go into
 * the `options` entry, present only when one of them is set.
 */
const historicalEntries: Readonly<Record<string, readonly string[]>> = {
    backend: ["backend", "baseUrl", "endpoint"],
    template: ["template"],
    system: ["system"],
    schema: ["schema", "choices"],
    grammarCaps: ["grammarMaxStringLength", "grammarMaxItems"],
    sampling: ["maxTokens", "temperature", "topP", "topK", "minP", "seed", "stop", "repeatPenalty", "ignoreEos", "retriesInvalid", "seedColumn"],
    rows: ["keepColumns", "maxRows", "shuffleSeed", "dedup", "skipInvalidRows", "chatTemplate"],
    format: ["format"]
};

/**
 * The options whose entry (named after the option) holds the sha256 of their value rather than the value (it may be
 * long), present only when the option is set (so runs written before it existed still resume).
 */
const hashedOptions: readonly string[] = ["examples"];

const sha16 = (value: unknown): string =>
    crypto
        .createHash("sha256")
        .update(JSON.stringify(value ?? null))
        .digest("hex")
        .slice(0, 16);

/**
 * "What a run is", defined once from an option-effect list: the manifest identity (a resume must match it), the skip
 * key (compare and jobs skip a finished model or step whose key is unchanged), the prepared-rows cache key and the
 * answer schema's hash (the hand-off commands compare the schema they are given with it).
 */
export class RunIdentity {
    readonly #effects: Readonly<Record<string, OptionEffect | readonly OptionEffect[]>>;

    /** `effects`: every option with its effect, or its effects (an option may have several: it reaches the keys of each). */
    public constructor(effects: Readonly<Record<string, OptionEffect | readonly OptionEffect[]>> = optionEffects) {
        this.#effects = effects;
    }

    /** The options with one of these effects. */
    public optionsWith(...effects: OptionEffect[]): string[] {
        return Object.keys(this.#effects)
            .filter((name) => {
                const of = this.#effects[name]!;
                return typeof of === "string" ? effects.includes(of) : of.some((effect) => effects.includes(effect));
            })
            .sort();
    }

    /**
     * sha256 (16 hex digits) of the answer schema the `"schema"` options make: `choices` become
     * `{"type": "string", "enum": [...]}` (see AnswerSchema.jsonSchemaOf); null for free text.
     */
    public answerSchemaHash(options: Pick<AnnotateOptions, "schema" | "choices">): string {
        const values = options as Record<string, unknown>;
        const others = this.optionsWith("schema").filter((name) => name !== "schema" && name !== "choices" && values[name] !== undefined);
        const jsonSchema = AnswerSchema.jsonSchemaOf(options);
        return sha16(others.length === 0 ? jsonSchema : {schema: jsonSchema, ...Object.fromEntries(others.map((name) => [name, values[name]]))});
    }

    /** The manifest identity of a run with these (validated) options. */
    public manifestIdentity(options: ResolvedOptions, facts: RunFacts): Record<string, string> {
        const remote = options.resolvedBackend.remote;
        // the run may grow (rows appended to the input, --max-rows raised): what it covers is checked as a prefix of
        // the input instead (see annotate), unless a shuffle picks its rows from the whole input
        const grows = options.shuffleSeed === undefined;
        const held = new Set([...Object.values(historicalEntries).flat(), ...hashedOptions]);
        const others = this.optionsWith("rows", "schema", "answers").filter((name) => !held.has(name) && options[name] !== undefined);
        return {
            // only remote runs carry a backend entry, so runs written before it existed still resume
            ...(remote !== null
                ? {backend: JSON.stringify({backend: "openai", baseUrl: remote.baseUrl, model: options.model, endpoint: remote.endpoint})}
                : {}),
            ...(grows ? {} : {input: facts.inputHash.slice(0, 16)}),
            template: sha16(options.template),
            system: sha16(options.system),
            schema: this.answerSchemaHash(options as Pick<AnnotateOptions, "schema" | "choices">),
            // only runs with grammar caps carry this entry, so runs written before it existed still resume
            ...(options.grammarMaxStringLength !== undefined || options.grammarMaxItems !== undefined
                ? {grammarCaps: JSON.stringify({maxStringLength: options.grammarMaxStringLength ?? null, maxItems: options.grammarMaxItems ?? null})}
                : {}),
            model: facts.model,
            sampling: JSON.stringify({
                ...options.generation,
                retriesInvalid: options.retriesInvalid,
                ...(options.seedColumn !== undefined ? {seedColumn: options.seedColumn} : {})
            }),
            // only with hooks, so runs written before hooks existed still resume; the file's name and content hash
            ...(facts.hooks !== null ? {"hooks file": `${path.basename(facts.hooks.file)} sha256 ${facts.hooks.sha256.slice(0, 12)}`} : {}),
            rows: JSON.stringify({
                keepColumns: options.keepColumns ?? null,
                ...(grows ? {} : {maxRows: options.maxRows ?? null}),
                shuffleSeed: options.shuffleSeed ?? null,
                dedup: options.dedup,
                skipInvalidRows: options.skipInvalidRows,
                chatTemplate: options.chatTemplate
            }),
            format: String(options.format),
            ...Object.fromEntries(hashedOptions.flatMap((name) => (options[name] !== undefined ? [[name, sha16(options[name])]] : []))),
            // options no historical entry holds, only when set (so runs written before them still resume)
            ...(others.length > 0 ? {options: JSON.stringify(Object.fromEntries(others.map((name) => [name, options[name]])))} : {})
        };
    }

    /**
     * The skip key (compare and jobs store it beside a finished model or step): the manifest identity, the input's
     * content and the `"extent"` options, so that a grown input or a raised --max-rows runs the step again (which then
     * generates only the new rows).
     */
    public skipKey(identity: Record<string, string>, options: Record<string, unknown>, inputHash: string): string {
        const sorted = Object.fromEntries(Object.entries(identity).sort(([a], [b]) => a.localeCompare(b)));
        const extent = Object.fromEntries(this.optionsWith("extent").map((name) => [name, options[name]]));
        return crypto
            .createHash("sha256")
            .update(JSON.stringify({identity: sorted, input: inputHash, extent}))
            .digest("hex")
            .slice(0, 32);
    }

    /**
     * A manifest identity as an older airlabel wrote it, in this one's terms: the input's content and --max-rows,
     * which identities held before a run could grow, are left out where `current` (this run's) leaves them out.
     */
    public upgradeRecorded(recorded: Record<string, string>, current: Record<string, string>): Record<string, string> {
        const upgraded = {...recorded};
        if (current.input === undefined) delete upgraded.input;
        const rows = parseObject(upgraded.rows);
        const now = parseObject(current.rows);
        if (rows !== null && now !== null) {
            for (const name of this.optionsWith("extent")) if (!(name in now)) delete rows[name];
            upgraded.rows = JSON.stringify(rows);
        }
        return upgraded;
    }

    /**
     * A `--retry-failed` pass's identity against the run's recorded one: `identity` is `current` with the generation
     * settings a retry may change (sampling, grammar caps, the backend and model, and the other `"answers"` options but
     * the output format) taken from `recorded`, so that comparing it with `recorded` finds only what a retry may not
     * change; `changes` says what the pass changes, one entry each ("maxTokens 4 -> 32").
     */
    public retryIdentity(recorded: Record<string, string>, current: Record<string, string>): {identity: Record<string, string>; changes: string[]} {
        const identity = {...current};
        const changes: string[] = [];
        const take = (entry: string) => {
            if (recorded[entry] === current[entry]) return;
            changes.push(...describeChange(entry, recorded[entry], current[entry]));
            if (recorded[entry] === undefined) delete identity[entry];
            else identity[entry] = recorded[entry];
        };
        for (const entry of this.#retryableEntries()) take(entry);
        take("model");
        // the options no historical entry holds: those with an "answers" effect are taken from the run, the rest compared
        const retryable = new Set(this.optionsWith("answers").filter((name) => name !== "format"));
        const was = parseObject(recorded.options) ?? {};
        const now = parseObject(current.options) ?? {};
        const merged = Object.fromEntries(Object.entries(now).filter(([name]) => !retryable.has(name)));
        for (const name of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
            if (!retryable.has(name)) continue;
            if (name in was) merged[name] = was[name];
            if (JSON.stringify(was[name]) !== JSON.stringify(now[name])) changes.push(`${name} ${shown(was[name])} -> ${shown(now[name])}`);
        }
        if (Object.keys(merged).length > 0) identity.options = JSON.stringify(merged);
        else delete identity.options;
        return {identity, changes};
    }

    /** The historical entries that hold only generation settings a retry may change (every option `"answers"`, not the format). */
    #retryableEntries(): string[] {
        const answers = new Set(this.optionsWith("answers"));
        return Object.entries(historicalEntries)
            .filter(([entry, names]) => entry !== "format" && names.every((name) => answers.has(name)))
            .map(([entry]) => entry);
    }

    /**
     * The prepared-rows cache key: the `"rows"`, `"order"` and `"extent"` options, the input files by content, the
     * model, the prompt hook and the few-shot turns. Without `extent`, the `"extent"` options are left out (the key of
     * the prepares a grown input may grow from, whose files are given by name only).
     */
    public prepareCacheKey(options: Record<string, unknown>, facts: PrepareFacts, extent = true): string {
        // an unset option is left out (JSON drops undefined), so adding an option leaves the caches of runs without it valid
        const effects: OptionEffect[] = extent ? ["rows", "order", "extent"] : ["rows", "order"];
        const chosen = Object.fromEntries(this.optionsWith(...effects).map((name) => [name, options[name]]));
        return crypto
            .createHash("sha256")
            .update(
                JSON.stringify({
                    ...chosen,
                    content: facts.files,
                    model: facts.model,
                    promptHook: facts.promptHook ?? null,
                    ...(facts.exampleTurns !== undefined ? {exampleTurns: facts.exampleTurns} : {})
                })
            )
            .digest("hex");
    }
}

/** An identity entry's change, per option where the entry is a JSON object ("maxTokens 4 -> 32"), else as a whole. */
function describeChange(entry: string, was: string | undefined, now: string | undefined): string[] {
    const before = parseObject(was);
    const after = parseObject(now);
    if (before === null || after === null) return [`${entry} ${shortEntry(was)} -> ${shortEntry(now)}`];
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]))
        .map((name) => `${name} ${shown(before[name])} -> ${shown(after[name])}`);
}

/** A model fingerprint by its file name (`name:size:sha256:...`), other entries as they are. */
function shortEntry(value: string | undefined): string {
    if (value === undefined) return "none";
    return /^(.+?):\d+:sha256:[0-9a-f]+$/u.exec(value)?.[1] ?? value;
}

function shown(value: unknown): string {
    return value === undefined ? "none" : JSON.stringify(value);
}

function parseObject(text: string | undefined): Record<string, unknown> | null {
    if (text === undefined) return null;
    try {
        const value = JSON.parse(text) as unknown;
        return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    } catch {
        return null;
    }
}

/** airlabel's run identity, from `optionEffects`. */
export const runIdentity = new RunIdentity();
