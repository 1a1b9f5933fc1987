import {InvalidOptionError} from "../AirlabelError.js";
import type {RatingPair} from "./agreement.js";
import {canonicalJson} from "../canonicalJson.js";
import {type ConfusionMatrix, confusionMatrix} from "./confusionMatrix.js";
import {fieldOf} from "./exportHandoff.js";
import {formatFigure, formatProbability} from "./formatFigure.js";
import {formatReviewDetails} from "./formatReviewDetails.js";
import {type Disagreement, listDisagreements} from "./listDisagreements.js";
import type {AnswerSpec} from "./loadAnswerSpec.js";
import {specMismatchNote} from "./loadAnswerSpec.js";
import {type PairStats, pairStatsOf} from "./pairStats.js";
import {readHandoffSourceWithOutput} from "./readHandoffSource.js";
import {isOneToManyRun} from "../output/itemRows.js";
import {itemSchemaOf, itemSource} from "./itemSource.js";
import {type SettingsPass, settingsPasses} from "../output/settingsPasses.js";
import type {HandoffSource} from "./readHandoffSource.js";
import type {AnswerField} from "./resolveAnswerField.js";
import {modelValues} from "./handoffRows.js";
import {labelTextOf} from "./resolveAnswerField.js";
import {type ReviewSet, readReviewSets} from "./reviewStore.js";
import {reviewSetFromLog} from "./reviewSetFromLog.js";
import {type TeamStats, teamStats} from "./teamStats.js";
import {textTable} from "./textTable.js";
import {formatPairTable} from "./formatPairTable.js";

export type {PairStats} from "./pairStats.js";

/** Options of `handoffStats`. */
export interface HandoffStatsOptions extends AnswerSpec {
    /** Output dir of a run or a comparison. Required (no default). */
    dir: string;
    /** Key of the annotation object compared. Defaults to the key `exportHandoff` picks (the only key, or the first holding labels, true/false or a scale). */
    field?: string;
}

/** One model's answers. */
export interface ModelStats {
    id: string;
    model: string;
    /** Rows of the run (answered + failed). */
    rows: number;
    /** Rows with a schema-valid answer. */
    valid: number;
    failed: number;
    /** Valid answers lacking the field (an optional key left out). */
    missing: number;
    /** How often each value was given (labels, true/false, scales), most frequent first. */
    distribution?: Record<string, number>;
    /** Mean of the numeric answers (scales, numbers). */
    mean?: number | null;
    /**
     * A one-to-many run (each answer a list of output rows): `rows`, `valid` and `failed` count input rows, these the
     * output rows (the items of every answer) and the input rows answered with an empty list (no output row);
     * `distribution`, `mean` and `missing` are of the output rows. Absent otherwise.
     */
    oneToMany?: {outputRows: number; emptyRows: number};
    /** The answers' recorded confidences (`run --confidence`, `--samples`): their mean, the lowest, and how many are below 0.5. */
    confidence?: {mean: number; min: number; below50: number};
}

/** A review set compared with each model, and its annotators with each other. */
export interface ReviewStats {
    name: string;
    /** Rows reviewed, and those with a reviewed value (the gold set each model is scored on). */
    rows: number;
    labelled: number;
    /** Rows without a reviewed value because the annotators tied (left out of the accuracy). */
    ties: number;
    /** Rows without a reviewed value for another reason: rejected, ignored or discarded (left out of the accuracy). */
    unlabelled: number;
    distribution?: Record<string, number>;
    /**
     * Each model against the reviewed values: `agreement` is its accuracy on the reviewed rows it answered, `failed`
     * the reviewed rows it has no answer for (failed, or lacking the field); labels and true/false: its confusion
     * matrix (the model's labels as rows, the reviewed ones as columns).
     */
    models: (PairStats & {failed: number; confusion?: ConfusionMatrix})[];
    /** Agreement between the human annotators, when the set records each annotator's value (null otherwise). */
    team: TeamStats | null;
    /** Every row to settle: annotators disagree or tie, or a model differs from the reviewed value (idx order). */
    disagreements: Disagreement[];
}

/** What `airlabel stats` reports. */
export interface HandoffStats {
    dir: string;
    comparison: boolean;
    complete: boolean;
    field: {name: string; kind: AnswerField["kind"]; source: AnswerField["source"]; labels?: string[]; values?: number[]};
    models: ModelStats[];
    /** Every pair of models (comparisons only). */
    pairs: PairStats[];
    reviews: ReviewStats[];
    /** A single run with `--retry-failed` passes: which settings answered its rows (empty otherwise). */
    settings: SettingsPass[];
    /** Things the user should know (the schema given differs from the run's). */
    notes: string[];
}

/**
 * Per-model counts and answer distributions, agreement between every pair of models (percent agreement and Cohen's
 * kappa for labels, mean absolute difference for numbers) and between each model and each imported review set
 * (accuracy, kappa, MAD, confusion matrix), the agreement between each review set's annotators (Cohen's kappa per
 * pair, Fleiss' kappa, Krippendorff's alpha) and the rows to settle. Rows are matched by idx. Throws the errors of reading the output dir and its reviews.
 */
export async function handoffStats(options: HandoffStatsOptions): Promise<HandoffStats> {
    if (typeof options.dir !== "string" || options.dir === "") throw new InvalidOptionError("options.dir must be the output dir of an airlabel run");
    const {source: read, output} = await readHandoffSourceWithOutput(options.dir, {allowIncomplete: true});
    // a one-to-many run: its values are tallied over the items of its answers, its rows counted both ways
    const items = output !== null && isOneToManyRun(output.manifest) ? itemSource(read) : null;
    const source = items?.source ?? read;
    const field = fieldOf(source, items === null ? options : {...options, schema: itemSchemaOf(options.schema)});
    const categorical = field.kind === "label" || field.kind === "binary" || field.kind === "rating";
    const numeric = field.kind === "rating" || field.kind === "number";
    const answers = answersByModel(source, field);

    const models: ModelStats[] = source.models.map((model) => {
        let valid = 0;
        let failed = 0;
        for (const row of read.rows) {
            const response = row.responses[model.id];
            if (response === undefined) continue;
            if (response.ok) valid++;
            else failed++;
        }
        const values = [...answers.get(model.id)!.values()];
        return {
            id: model.id,
            model: model.model,
            rows: valid + failed,
            valid,
            failed,
            missing: (items?.outputRows ?? valid) - values.length,
            ...(categorical ? {distribution: distributionOf(values)} : {}),
            ...(numeric ? {mean: meanOf(values)} : {}),
            ...(items !== null ? {oneToMany: {outputRows: items.outputRows, emptyRows: items.emptyRows}} : {}),
            // (per input row: a one-to-many answer's confidence is that of its whole list)
            ...confidenceStatsOf(read.rows.map((row) => row.responses[model.id]?.confidence))
        };
    });

    const pairs: PairStats[] = [];
    for (let i = 0; i < source.models.length; i++)
        for (let j = i + 1; j < source.models.length; j++) {
            const a = source.models[i]!;
            const b = source.models[j]!;
            pairs.push(pairStatsOf(a.id, b.id, matched(answers.get(a.id)!, answers.get(b.id)!), field.kind));
        }

    // the imported review sets, and the reviews of airlabel review
    // (a one-to-many run has none: its items are not reviewed by input row, see refuseOneToMany)
    const fromApp = items !== null ? null : await reviewSetFromLog(options.dir, field, source.rows);
    const sets = items !== null ? [] : [...(await readReviewSets(options.dir)), ...(fromApp !== null ? [fromApp] : [])];
    const reviews = sets.map((set) => reviewStatsOf(set, source, field, answers));

    return {
        dir: options.dir,
        comparison: source.comparison,
        complete: source.complete,
        field: {
            name: field.name,
            kind: field.kind,
            source: field.source,
            ...(field.labels !== undefined ? {labels: field.labels} : {}),
            ...(field.values !== undefined ? {values: field.values} : {})
        },
        models,
        pairs,
        reviews,
        settings: output !== null ? settingsPasses(output) : [],
        notes: [specMismatchNote(options, source.schemaHash)].filter((note): note is string => note !== undefined)
    };
}

/**
 * One review set: its gold values (rows with a reviewed value; ties and rows without one counted apart), each model
 * scored against them with a confusion matrix for labels, its annotators' agreement, and the rows to settle.
 */
function reviewStatsOf(set: ReviewSet, source: HandoffSource, field: AnswerField, answers: ReadonlyMap<string, ReadonlyMap<number, unknown>>): ReviewStats {
    const normalizeValue = (value: unknown) => normalize(value, field);
    const reviewed = new Map<number, unknown>();
    for (const row of set.rows) if (row.value !== null && row.value !== undefined && row.tie !== true) reviewed.set(row.idx, normalizeValue(row.value));
    const ties = set.rows.filter((row) => row.tie === true).length;
    const withLabels = field.kind === "label" || field.kind === "binary";
    return {
        name: set.manifest.name,
        rows: set.rows.length,
        labelled: reviewed.size,
        ties,
        unlabelled: set.rows.length - reviewed.size - ties,
        ...(withLabels || field.kind === "rating" ? {distribution: distributionOf([...reviewed.values()])} : {}),
        models: source.models.map((model) => {
            const own = answers.get(model.id)!;
            const both = matched(own, reviewed);
            return {
                ...pairStatsOf(model.id, set.manifest.name, both, field.kind),
                failed: [...reviewed.keys()].filter((idx) => !own.has(idx)).length,
                ...(withLabels ? {confusion: confusionMatrix(model.id, set.manifest.name, both, field.labels)} : {})
            };
        }),
        team: teamStats(set.rows, field, normalizeValue),
        disagreements: listDisagreements(set.rows, answers, normalizeValue)
    };
}

/** Each model's value of the field, by idx (failed rows and answers lacking the field left out). */
function answersByModel(source: HandoffSource, field: AnswerField): Map<string, Map<number, unknown>> {
    const answers = new Map<string, Map<number, unknown>>();
    for (const model of source.models) answers.set(model.id, new Map());
    for (const row of source.rows) for (const [id, value] of modelValues(row, source, field)) answers.get(id)!.set(row.idx, normalize(value, field));
    return answers;
}

/** Labels compared as text (a model's `1` and a reviewer's `"1"` are the same label). */
function normalize(value: unknown, field: AnswerField): unknown {
    return field.kind === "label" ? labelTextOf(value) : value;
}

function matched(a: ReadonlyMap<number, unknown>, b: ReadonlyMap<number, unknown>): RatingPair[] {
    const pairs: RatingPair[] = [];
    for (const [idx, value] of a) if (b.has(idx)) pairs.push([value, b.get(idx)]);
    return pairs;
}

function distributionOf(values: readonly unknown[]): Record<string, number> {
    const counts = new Map<string, number>();
    for (const value of values) {
        const key = typeof value === "string" ? value : canonicalJson(value);
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return Object.fromEntries([...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)));
}

function meanOf(values: readonly unknown[]): number | null {
    const numbers = values.filter((value): value is number => typeof value === "number" && Number.isFinite(value));
    return numbers.length === 0 ? null : numbers.reduce((sum, value) => sum + value, 0) / numbers.length;
}

/** The stats as the text `airlabel stats` prints: per-model table, model pairs, settings passes, then each review set. */
export function formatHandoffStats(stats: HandoffStats): string {
    const lines: string[] = [...formatModels(stats)];
    if (stats.pairs.length > 0) {
        lines.push("");
        lines.push(
            formatPairTable(
                "models",
                stats.pairs.map((pair) => ({...pair, label: `${pair.a} ~ ${pair.b}`})),
                "agreement"
            )
        );
    }
    if (stats.settings.length > 0) {
        lines.push("");
        lines.push(
            textTable(
                ["answered under", "answered", "failed"],
                stats.settings.map((pass) => [pass.settings, String(pass.answered), String(pass.failed)])
            )
        );
    }
    for (const review of stats.reviews) lines.push("", ...formatReview(review, stats));
    return lines.join("\n") + "\n";
}

/** The field line, each model's answers (and output rows of a one-to-many run), and the models' confidence. */
function formatModels(stats: HandoffStats): string[] {
    const lines: string[] = [];
    const kindText =
        stats.field.kind === "label"
            ? `labels ${stats.field.labels?.join(", ") ?? ""}`
            : stats.field.kind === "rating"
              ? `scale ${stats.field.values?.[0] ?? "?"}..${stats.field.values?.at(-1) ?? "?"}`
              : stats.field.kind === "binary"
                ? "true/false"
                : stats.field.kind;
    const from = stats.field.source === "answers" ? "read from the answers; pass --schema or --choices to fix it" : `from the ${stats.field.source}`;
    const oneToMany = stats.models.some((m) => m.oneToMany !== undefined);
    lines.push(`field ${stats.field.name}: ${kindText} (${from})${stats.complete ? "" : "; the run is incomplete"}`);
    lines.push("");
    lines.push(
        textTable(
            [
                "model",
                "rows",
                "valid",
                "failed",
                oneToMany ? "output rows" : "",
                stats.models.some((m) => m.mean !== undefined) ? "mean" : "",
                "answers"
            ].filter((h) => h !== ""),
            stats.models.map((m) => [
                m.id,
                String(m.rows),
                String(m.valid),
                String(m.failed),
                ...(oneToMany ? [String(m.oneToMany?.outputRows ?? "")] : []),
                ...(m.mean !== undefined ? [formatFigure(m.mean)] : []),
                m.distribution !== undefined
                    ? Object.entries(m.distribution)
                          .map(([label, count]) => `${label} ${count}`)
                          .join(", ")
                    : m.missing > 0
                      ? `${m.missing} without ${stats.field.name}`
                      : ""
            ])
        )
    );
    if (oneToMany) {
        const empty = stats.models.reduce((sum, m) => sum + (m.oneToMany?.emptyRows ?? 0), 0);
        lines.push(
            `one-to-many run: rows, valid and failed count input rows, output rows the items of their answers${empty > 0 ? ` (${empty} answered with an empty list, no output row)` : ""}; the answers are counted per output row`
        );
    }
    const confident = stats.models.filter((m) => m.confidence !== undefined);
    if (confident.length > 0) {
        lines.push("");
        lines.push(
            textTable(
                ["confidence", "mean", "lowest", "below 0.5"],
                confident.map((m) => [m.id, formatProbability(m.confidence!.mean), formatProbability(m.confidence!.min), String(m.confidence!.below50)])
            )
        );
    }
    return lines;
}

/** One review set: what it holds, each model's accuracy against it, the team's agreement and disagreements. */
function formatReview(review: ReviewStats, stats: HandoffStats): string[] {
    const leftOut = [
        review.ties > 0 ? `${review.ties} tie${review.ties === 1 ? "" : "s"}` : "",
        review.unlabelled > 0 ? `${review.unlabelled} without a value` : ""
    ]
        .filter((part) => part !== "")
        .join(" and ");
    return [
        `${review.name}: ${review.rows} rows reviewed, ${review.labelled} with a value` +
            (review.distribution !== undefined
                ? ` (${Object.entries(review.distribution)
                      .map(([label, count]) => `${label} ${count}`)
                      .join(", ")})`
                : "") +
            (leftOut !== "" ? `; ${leftOut} left out of the accuracy` : ""),
        formatPairTable(
            `vs ${review.name}`,
            review.models.map((pair) => ({...pair, label: pair.a})),
            "accuracy"
        ),
        ...formatReviewDetails(
            review,
            stats.models.map((model) => model.id)
        )
    ];
}

/** The confidence figures of one model's answers, or nothing where none was recorded. */
function confidenceStatsOf(values: readonly (number | null | undefined)[]): Pick<ModelStats, "confidence"> {
    const numbers = values.filter((value) => typeof value === "number");
    if (numbers.length === 0) return {};
    const mean = numbers.reduce((sum, value) => sum + value, 0) / numbers.length;
    return {confidence: {mean, min: Math.min(...numbers), below50: numbers.filter((value) => value < 0.5).length}};
}
