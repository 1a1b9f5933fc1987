import type {AnswerField} from "./resolveAnswerField.js";
import {answerScore} from "./answerScore.js";
import {labelTextOf} from "./resolveAnswerField.js";
import type {HandoffRow, HandoffSource} from "./readHandoffSource.js";
import {modelValues, textColumnsOf} from "./handoffRows.js";
import {stringifyJson} from "../json/stringifyJson.js";
import {argillaName} from "./argillaSettings.js";
import {answerSlotsOf, shownAnswerOf, type AnswerSlot} from "./shownAnswers.js";
import {answerText} from "./toArgilla.js";

/*
 * Label Studio's task format (labelstud.io/guide/task_format, "Import pre-annotated data"): a JSON list of tasks,
 * each `{data: {...}, predictions: [{model_version, score, result: [{from_name, to_name, type, value}]}]}`, where
 * `from_name` names the control tag of the labeling config, `to_name` the object tag it labels, and `value` holds
 * the answer as that control writes it: `{choices: [...]}` (Choices), `{text: [...]}` (TextArea), `{number: n}`
 * (Number), `{rating: n}` (Rating). Its JSON export adds `annotations: [{result, completed_by, was_cancelled}]`,
 * which `airlabel import` reads back, joined on `data.idx`.
 */

/** One result item of a prediction or annotation. */
export interface LabelStudioResult {
    from_name: string;
    to_name: string;
    type: "choices" | "textarea" | "number" | "rating";
    value: Record<string, unknown>;
}

/** One Label Studio task. */
export interface LabelStudioTask {
    data: Record<string, unknown> & {idx: number};
    predictions: {model_version: string; score: number | null; result: LabelStudioResult[]}[];
}

/** What `toLabelStudio` built. */
export interface LabelStudioExport {
    tasks: LabelStudioTask[];
    /** The labeling config (`<View>` XML) to paste into the project's Labeling Interface. */
    config: string;
    /** Rows left out: they keep no input columns, so there is nothing to show. */
    skipped: number;
    /** Tasks of rows a model failed (included, `data.airlabel_failed`, no prediction from that model). */
    failed: number;
}

/** The control tag's name for `field` (the `from_name` of its results). */
export function labelStudioControlName(field: AnswerField): string {
    return argillaName(field.name);
}

/** Label Studio tasks (one per row, each model's answer a prediction) and the matching labeling config. */
export function toLabelStudio(source: HandoffSource, field: AnswerField): LabelStudioExport {
    const textColumns = textColumnsOf(source).sort((a, b) => Number(b === "text") - Number(a === "text"));
    const objects = textColumns.length > 0 ? textColumns : ["input"];
    const {slots} = answerSlotsOf(source);
    const showAnswers = slots.length > 1 || slots.some((slot) => slot.from.kind === "step");
    const control = labelStudioControlName(field);
    const tasks: LabelStudioTask[] = [];
    let skipped = 0;
    let failed = 0;
    for (const row of source.rows) {
        if (Object.keys(row.columns).length === 0) {
            skipped++;
            continue;
        }
        const data: LabelStudioTask["data"] = {...row.columns, idx: row.idx};
        if (textColumns.length === 0) data.input = stringifyJson(row.columns);
        if (showAnswers) for (const slot of slots) data[answerKey(slot)] = answerText(shownAnswerOf(row, source, slot));
        const failures = source.models.filter((model) => row.responses[model.id]?.ok === false);
        if (failures.length > 0) {
            failed++;
            data.airlabel_failed = true;
            data.airlabel_error = failures.map((model) => row.responses[model.id]!.reason ?? "failed").join("; ");
        }
        tasks.push({data, predictions: predictionsOf(row, source, field, control, tagName(objects[0]!))});
    }
    return {tasks, config: configOf(field, control, objects, showAnswers ? slots : []), skipped, failed};
}

function answerKey(slot: AnswerSlot): string {
    return `response_${argillaName(slot.id)}`;
}

function predictionsOf(row: HandoffRow, source: HandoffSource, field: AnswerField, control: string, toName: string): LabelStudioTask["predictions"] {
    const values = modelValues(row, source, field);
    const predictions: LabelStudioTask["predictions"] = [];
    for (const model of source.models) {
        const value = values.get(model.id);
        const result = value === undefined ? undefined : resultOf(field, value, control, toName);
        if (result === undefined) continue;
        predictions.push({model_version: model.model, score: answerScore(row.responses[model.id], field), result: [result]});
    }
    return predictions;
}

/** The result item holding `value` for `field`'s control (undefined when the value does not fit the control). */
export function resultOf(field: AnswerField, value: unknown, fromName: string, toName: string): LabelStudioResult | undefined {
    const base = {from_name: fromName, to_name: toName};
    switch (field.kind) {
        case "label":
        case "binary": {
            const text = labelTextOf(value);
            const labels = field.kind === "binary" ? ["true", "false"] : (field.labels ?? []);
            return labels.includes(text) ? {...base, type: "choices", value: {choices: [text]}} : undefined;
        }
        case "rating":
            if (typeof value !== "number") return undefined;
            return usesRating(field) ? {...base, type: "rating", value: {rating: value}} : {...base, type: "number", value: {number: value}};
        case "number":
            return typeof value === "number" ? {...base, type: "number", value: {number: value}} : undefined;
        case "text":
            return {...base, type: "textarea", value: {text: [labelTextOf(value)]}};
    }
}

/** Label Studio's Rating control counts from 1: a scale starting at 0 is a Number control instead. */
function usesRating(field: AnswerField): boolean {
    return (field.values?.[0] ?? 0) >= 1;
}

function configOf(field: AnswerField, control: string, objects: readonly string[], slots: readonly AnswerSlot[]): string {
    const lines = ["<View>"];
    for (const column of objects) lines.push(`  <Header value="${xml(column)}"/>`, `  <Text name="${xml(tagName(column))}" value="$${xml(column)}"/>`);
    for (const slot of slots)
        lines.push(`  <Header value="${xml(`${slot.title}'s answer`)}"/>`, `  <Text name="${xml(answerKey(slot))}" value="$${xml(answerKey(slot))}"/>`);
    const toName = xml(tagName(objects[0]!));
    lines.push(`  <Header value="${xml(`The right ${field.name}`)}"/>`);
    switch (field.kind) {
        case "label":
        case "binary": {
            const labels = field.kind === "binary" ? ["true", "false"] : (field.labels ?? []);
            lines.push(`  <Choices name="${xml(control)}" toName="${toName}" choice="single" showInline="true">`);
            for (const label of labels) lines.push(`    <Choice value="${xml(label)}"/>`);
            lines.push("  </Choices>");
            break;
        }
        case "rating": {
            const values = field.values ?? [];
            if (usesRating(field)) lines.push(`  <Rating name="${xml(control)}" toName="${toName}" maxRating="${values.at(-1) ?? 5}"/>`);
            else lines.push(`  <Number name="${xml(control)}" toName="${toName}" min="${values[0] ?? 0}" max="${values.at(-1) ?? 10}"/>`);
            break;
        }
        case "number":
            lines.push(`  <Number name="${xml(control)}" toName="${toName}"/>`);
            break;
        case "text":
            lines.push(`  <TextArea name="${xml(control)}" toName="${toName}" editable="true" maxSubmissions="1"/>`);
            break;
    }
    lines.push("</View>");
    return lines.join("\n") + "\n";
}

/** An object tag's name for an input column (its data key, made a plain name). */
export function tagName(column: string): string {
    return argillaName(column);
}

function xml(text: string): string {
    return text.replace(/&/gu, "&amp;").replace(/"/gu, "&quot;").replace(/</gu, "&lt;").replace(/>/gu, "&gt;");
}
