import type {HandoffRow, HandoffSource} from "./readHandoffSource.js";

/**
 * The answers a reviewer compares on one row, side by side: each model's answer of a comparison, or, for a later
 * job step (a judge), the answers of the earlier steps it was shown (`steps.<name>`), each with the judge's verdict
 * on it. A plain single run shows its one model's answer.
 */

/** One answer shown beside the input, the same for every row of a source. */
export interface AnswerSlot {
    /** Lower-case id used in field, question and metadata names: the model id, or the earlier step's answer id. */
    id: string;
    /** What the reviewer reads as its title: the model name, or `<step> <model>`. */
    title: string;
    /** Where the slot's answer comes from: a model of this source, or an earlier step's answer. */
    from: {kind: "model"; modelId: string} | {kind: "step"; step: string; key: string | null};
    /** The keys of the judge's answer that hold its verdict on this slot (a judged slot). */
    judgeKeys: string[];
}

/** A slot's answer on one row. */
export interface ShownAnswer {
    ok: boolean;
    /** The answer (null when it failed). */
    annotation: unknown;
    /** Why it failed (null when ok). */
    reason: string | null;
    /** The model that answered, when known. */
    agent: string | null;
    /** The judge's verdict on it, when this source judged it: the part of the judge's answer about this slot. */
    judge?: {verdict: unknown; score: number | null};
}

/** The slots of a source: its models (comparison, plain run), or the earlier steps' answers (a later job step). */
export function answerSlotsOf(source: HandoffSource): {slots: AnswerSlot[]; judged: boolean} {
    const stepSlots = new Map<string, AnswerSlot>();
    for (const row of source.rows) {
        if (row.steps === undefined) continue;
        for (const [step, value] of Object.entries(row.steps)) {
            if (!isObject(value)) continue;
            const responses = Object.keys(value).filter((key) => key.startsWith("response_"));
            if (responses.length > 0) {
                for (const key of responses) {
                    const model = key.slice("response_".length);
                    addSlot(stepSlots, {id: model, title: `${step} ${model}`, from: {kind: "step", step, key}, judgeKeys: [model, key]}, step);
                }
            } else if ("annotation" in value) {
                addSlot(stepSlots, {id: step, title: step, from: {kind: "step", step, key: null}, judgeKeys: [step]}, step);
            }
        }
    }
    if (stepSlots.size > 0) return {slots: [...stepSlots.values()], judged: true};
    return {
        slots: source.models.map((model) => ({id: model.id, title: model.model, from: {kind: "model", modelId: model.id}, judgeKeys: []})),
        judged: false
    };
}

/** A slot's answer on a row (undefined when the row has none: an earlier step the row did not pass). */
export function shownAnswerOf(row: HandoffRow, source: HandoffSource, slot: AnswerSlot): ShownAnswer | undefined {
    if (slot.from.kind === "model") {
        const modelId = slot.from.modelId;
        const response = row.responses[modelId];
        if (response === undefined) return undefined;
        const agent = source.models.find((model) => model.id === modelId)?.model ?? null;
        return {ok: response.ok, annotation: response.annotation, reason: response.reason, agent};
    }
    const stepValue = row.steps?.[slot.from.step];
    if (!isObject(stepValue)) return undefined;
    const key = slot.from.key;
    if (key !== null && !(key in stepValue)) return undefined;
    const annotation = key === null ? stepValue.annotation : stepValue[key];
    const agent = key === null && typeof stepValue.model === "string" ? stepValue.model : null;
    const shown: ShownAnswer = {ok: true, annotation: annotation ?? null, reason: null, agent};
    const judge = judgeVerdictOf(row, source, slot);
    return judge === undefined ? shown : {...shown, judge};
}

/** The judge's verdict on a slot: the value of the first of its judge keys in this run's (ok) answer. */
function judgeVerdictOf(row: HandoffRow, source: HandoffSource, slot: AnswerSlot): ShownAnswer["judge"] {
    const own = row.responses[source.models[0]?.id ?? ""];
    if (own === undefined || !own.ok || !isObject(own.annotation)) return undefined;
    const annotation = own.annotation;
    const key = slot.judgeKeys.find((candidate) => candidate in annotation);
    if (key === undefined) return undefined;
    const verdict = annotation[key];
    return {verdict, score: scoreOf(verdict)};
}

/** A verdict's score: the verdict itself when it is a number, else its `score` number. */
export function scoreOf(verdict: unknown): number | null {
    if (typeof verdict === "number" && Number.isFinite(verdict)) return verdict;
    if (isObject(verdict) && typeof verdict.score === "number" && Number.isFinite(verdict.score)) return verdict.score;
    return null;
}

/**
 * The judge's rating scale: the integer `minimum`..`maximum` (inside 0..10, Argilla's rating range) of the `score`
 * the judge's schema gives for the first slot's key, following a local `$ref`; else the scores given, when they are
 * integers 0..10; else 1..5.
 */
export function judgeScaleOf(source: HandoffSource, slots: readonly AnswerSlot[], scores: readonly number[]): number[] {
    const schema = isObject(source.meta.schema) ? source.meta.schema : undefined;
    const properties = isObject(schema?.properties) ? schema.properties : {};
    for (const slot of slots)
        for (const key of slot.judgeKeys) {
            const sub = resolveRef(schema, properties[key]);
            const score = sub === undefined ? undefined : isObject(sub.properties) ? resolveRef(schema, sub.properties.score) : sub;
            if (score !== undefined && typeof score.minimum === "number" && typeof score.maximum === "number") {
                const [min, max] = [Math.ceil(score.minimum), Math.floor(score.maximum)];
                if (min >= 0 && max <= 10 && min < max) return range(min, max);
            }
        }
    if (scores.length > 0 && scores.every((score) => Number.isInteger(score) && score >= 0 && score <= 10))
        return range(Math.min(1, ...scores), Math.max(5, ...scores));
    return range(1, 5);
}

function resolveRef(root: Record<string, unknown> | undefined, value: unknown): Record<string, unknown> | undefined {
    if (!isObject(value)) return undefined;
    const ref = value.$ref;
    if (typeof ref !== "string" || !ref.startsWith("#/") || root === undefined) return value;
    let target: unknown = root;
    for (const part of ref.slice(2).split("/")) target = isObject(target) ? target[part.replace(/~1/gu, "/").replace(/~0/gu, "~")] : undefined;
    return isObject(target) ? target : undefined;
}

function addSlot(slots: Map<string, AnswerSlot>, slot: AnswerSlot, step: string): void {
    const key = slot.from.kind === "step" ? `${slot.from.step}\u0000${slot.from.key ?? ""}` : slot.id;
    if (slots.has(key)) return;
    const taken = new Set([...slots.values()].map((other) => other.id));
    const id = taken.has(slot.id) ? `${step}-${slot.id}` : slot.id;
    slots.set(key, {...slot, id});
}

function range(min: number, max: number): number[] {
    return Array.from({length: max - min + 1}, (_, i) => min + i);
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
