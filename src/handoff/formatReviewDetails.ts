import type {ConfusionMatrix} from "./confusionMatrix.js";
import {formatFigure} from "./formatFigure.js";
import {formatPairTable} from "./formatPairTable.js";
import type {Disagreement} from "./listDisagreements.js";
import type {TeamStats} from "./teamStats.js";
import {textTable} from "./textTable.js";

/** How many disagreements the text output lists (`--json` lists them all). */
const SHOWN_DISAGREEMENTS = 20;

/**
 * The text lines `airlabel stats` prints under a review set's accuracy table: each model's confusion matrix against
 * the reviewed values, the agreement between the annotators (Fleiss' kappa, Krippendorff's alpha, each pair with its
 * confusion matrix), then the rows to settle (the first 20, and a count of the rest).
 */
export function formatReviewDetails(
    review: {name: string; models: readonly {confusion?: ConfusionMatrix}[]; team: TeamStats | null; disagreements: readonly Disagreement[]},
    modelIds: readonly string[]
): string[] {
    const lines: string[] = [];
    for (const model of review.models) if (model.confusion !== undefined) lines.push("", formatConfusion(model.confusion));
    if (review.team !== null) lines.push("", ...formatTeam(review.name, review.team));
    if (review.disagreements.length > 0) {
        lines.push("", ...formatDisagreements(review.name, review.disagreements, review.team?.annotators.map((a) => a.id) ?? [], modelIds));
    }
    return lines;
}

/** A confusion matrix as a table: the first rater's labels as rows, the second's as columns. */
function formatConfusion(matrix: ConfusionMatrix): string {
    return textTable(
        [`${matrix.rows} \\ ${matrix.columns}`, ...matrix.labels],
        matrix.labels.map((row) => [row, ...matrix.labels.map((column) => String(matrix.counts[row]![column]))])
    );
}

function formatTeam(name: string, team: TeamStats): string[] {
    const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
    const figures = [
        ...(team.fleiss !== undefined ? [`Fleiss' kappa ${formatFigure(team.fleiss.kappa)} (${plural(team.fleiss.items, "row")})`] : []),
        `Krippendorff's alpha (${team.alpha.metric}) ${formatFigure(team.alpha.alpha)} (${plural(team.alpha.values, "value")})`
    ];
    const [first, ...others] = team.annotators;
    const lines = [
        `${name}: ${team.annotators.length} annotators (${[`${first!.id} ${plural(first!.labelled, "value")}`, ...others.map((a) => `${a.id} ${a.labelled}`)].join(", ")}) on ${plural(team.rows, "row")}; ` +
            `${team.overlap} with two values or more, ${team.disagreements} where they disagree, ${plural(team.ties, "tie")}`,
        figures.join(", ")
    ];
    if (team.pairs.length > 0) {
        lines.push(
            formatPairTable(
                "annotators",
                team.pairs.map((pair) => ({...pair, label: `${pair.a} ~ ${pair.b}`})),
                "agreement"
            )
        );
        for (const pair of team.pairs) if (pair.confusion !== undefined) lines.push("", formatConfusion(pair.confusion));
    }
    return lines;
}

function formatDisagreements(name: string, rows: readonly Disagreement[], annotators: readonly string[], modelIds: readonly string[]): string[] {
    const split = rows.filter((row) => row.tie || row.annotatorsDisagree).length;
    const byModel = rows.filter((row) => row.modelsDisagree.length > 0).length;
    const shown = rows.slice(0, SHOWN_DISAGREEMENTS);
    const lines = [
        `${name}: ${rows.length} row${rows.length === 1 ? "" : "s"} to settle (${split} where the annotators disagree or tie, ${byModel} where a model differs from the reviewed value)`,
        textTable(
            ["idx", name, ...annotators, ...modelIds, "disagree"],
            shown.map((row) => [
                String(row.idx),
                row.tie ? "tie" : cell(row.value),
                ...annotators.map((id) => (row.values !== undefined && Object.hasOwn(row.values, id) ? cell(row.values[id]) : "")),
                ...modelIds.map((id) => cell(row.answers[id])),
                [...(row.tie ? ["tie"] : row.annotatorsDisagree ? ["annotators"] : []), ...row.modelsDisagree].join(", ")
            ])
        )
    ];
    if (rows.length > shown.length) lines.push(`... and ${rows.length - shown.length} more (airlabel stats --json lists them all)`);
    return lines;
}

/** A value in a table cell: text as it is, null (no value) as `-`, anything else as its JSON. */
function cell(value: unknown): string {
    if (value === null || value === undefined) return "-";
    return typeof value === "string" ? value : JSON.stringify(value);
}
