import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {canonicalJson} from "../canonicalJson.js";
import {writeFileDurable} from "../files/durableFs.js";
import {PromptTemplate} from "../prepare/PromptTemplate.js";
import {readHandoffSource, type HandoffRow} from "./readHandoffSource.js";
import {refuseOneToMany} from "./refuseOneToMany.js";
import {latestReviews, readReviewLog, type ReviewEntry} from "./ReviewLog.js";

/** A training export cannot be made (no reviews to make it from). */
export class TrainingExportError extends AirlabelError {}

/** Options of `exportTraining` (`airlabel export OUT --to sft|preference`). */
export interface ExportTrainingOptions {
    /** Output dir of a run or a comparison reviewed with `airlabel review`. Required (no default). */
    dir: string;
    /** "sft": instruction + the accepted or corrected answer; "preference": chosen / rejected answer pairs. Required. */
    kind: "sft" | "preference";
    /** The run's prompt template, which makes each row's instruction from its input columns. Required. */
    template: string;
    /** The run's system message. Defaults to none. */
    system?: string;
    /** The JSONL file to write. Defaults to `<dir>/export/<kind>.jsonl`. */
    out?: string;
}

/** What `exportTraining` wrote. */
export interface ExportTrainingResult {
    file: string;
    /** Examples written, and the reviews that gave none (rejected, skipped; for pairs: no preference between two different answers). */
    examples: number;
    unused: number;
}

type Message = {role: "system" | "user" | "assistant"; content: string};

/**
 * Training data from the reviews of `airlabel review`, as JSON lines in the chat format fine-tuning tools read:
 * - "sft": one example per row an annotator accepted or corrected: `{"idx", "annotator", "messages": [system?, user,
 *   assistant]}`, the assistant turn being the reviewed answer (JSON text for a schema's answers);
 * - "preference": one pair per review that prefers one model's answer over a different one, by the "better" choice or
 *   else by the highest against the lowest rating: `{"idx", "annotator", "prompt": [...], "chosen": [assistant],
 *   "rejected": [assistant], "chosen_model", "rejected_model"}` (TRL's conversational preference format).
 * The instruction is the row rendered with the run's template. Throws `TrainingExportError` when there are no reviews.
 */
export async function exportTraining(options: ExportTrainingOptions): Promise<ExportTrainingResult> {
    const source = await readHandoffSource(options.dir, {allowIncomplete: true});
    refuseOneToMany(options.dir, source.meta, `the ${options.kind} export`);
    const reviews = latestReviews(await readReviewLog(options.dir), source.rows);
    if (reviews.length === 0) throw new TrainingExportError(`${options.dir} has no reviews yet; review it first with airlabel review ${options.dir}`);
    const template = new PromptTemplate(options.template, "--template");
    const rows = new Map(source.rows.map((row) => [row.idx, row]));
    const lines: string[] = [];
    let unused = 0;
    for (const review of reviews) {
        const row = rows.get(review.idx);
        const example =
            row === undefined
                ? null
                : options.kind === "sft"
                  ? sftExample(review, row, template, options.system)
                  : preferenceExample(review, row, template, options.system);
        if (example === null) unused++;
        else lines.push(`${JSON.stringify(example)}\n`);
    }
    const file = path.resolve(options.out ?? path.join(options.dir, "export", `${options.kind}.jsonl`));
    await fs.mkdir(path.dirname(file), {recursive: true});
    await writeFileDurable(file, lines.join(""));
    return {file, examples: lines.length, unused};
}

function promptOf(row: HandoffRow, template: PromptTemplate, system: string | undefined): Message[] {
    const user: Message = {role: "user", content: template.render(row.columns, `row idx ${row.idx}`)};
    return system !== undefined && system !== "" ? [{role: "system", content: system}, user] : [user];
}

const answerText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

function sftExample(review: ReviewEntry, row: HandoffRow, template: PromptTemplate, system: string | undefined): Record<string, unknown> | null {
    if (review.action !== "accept" && review.action !== "correct") return null;
    return {idx: row.idx, annotator: review.annotator, messages: [...promptOf(row, template, system), {role: "assistant", content: answerText(review.value)}]};
}

function preferenceExample(review: ReviewEntry, row: HandoffRow, template: PromptTemplate, system: string | undefined): Record<string, unknown> | null {
    const answers = new Map<string, unknown>();
    for (const [model, response] of Object.entries(row.responses)) if (response.ok) answers.set(model, response.annotation);
    let chosen = review.better;
    let rejected: string | null = null;
    const rated = Object.entries(review.ratings)
        .filter(([model]) => answers.has(model))
        .sort((a, b) => b[1] - a[1]);
    if (chosen !== null && answers.has(chosen)) {
        // the better answer against the lowest-rated other one, else any other that differs
        const others = [...answers.keys()].filter((model) => model !== chosen && canonicalJson(answers.get(model)) !== canonicalJson(answers.get(chosen!)));
        rejected = [...rated].reverse().find(([model]) => others.includes(model))?.[0] ?? others[0] ?? null;
    } else if (rated.length >= 2 && rated[0]![1] > rated.at(-1)![1]) {
        chosen = rated[0]![0];
        rejected = rated.at(-1)![0];
    }
    if (chosen === null || rejected === null || canonicalJson(answers.get(chosen)) === canonicalJson(answers.get(rejected))) return null;
    const assistant = (model: string): Message[] => [{role: "assistant", content: answerText(answers.get(model))}];
    return {
        idx: row.idx,
        annotator: review.annotator,
        prompt: promptOf(row, template, system),
        chosen: assistant(chosen),
        rejected: assistant(rejected),
        chosen_model: chosen,
        rejected_model: rejected
    };
}
