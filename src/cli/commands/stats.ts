import type {Command} from "commander";
import {formatHandoffStats, handoffStats} from "../../handoff/handoffStats.js";
import {loadAnswerSpec} from "../../handoff/loadAnswerSpec.js";
import {choiceList} from "../../jobs/jobOptions.js";

type StatsFlags = {field?: string; schema?: string; choices?: string; config?: string; json?: boolean};

/**
 * `airlabel stats OUTPUT_DIR`: per-model counts and distributions, agreement between models and with the reviews,
 * confusion matrices, agreement between the human annotators and the rows to settle.
 */
export function registerStatsCommand(program: Command): void {
    program
        .command("stats")
        .description(
            "per-model valid/failed counts and answer distributions; agreement between models (percent, Cohen's kappa, mean absolute difference) and with imported reviews (accuracy, kappa, MAD, confusion matrix); agreement between the annotators of each review set (Cohen's kappa per pair, Fleiss' kappa, Krippendorff's alpha) and the rows where annotators or models disagree"
        )
        .argument("<output-dir>", "the output dir of a run or a comparison")
        .option("--field <key>", "the answer key compared (default: the only key, or the first holding labels, true/false or a small scale)")
        .option("--schema <file.json>", "the JSON Schema the run used")
        .option("--choices <a,b,c>", "the labels the run used")
        .option("--config <job.json|job.yaml>", "the run's job file: its schema and choices are used")
        .option("--json", "print the statistics as JSON (every row to settle; the text lists the first 20)")
        .addHelpText(
            "after",
            `
Examples:
  $ airlabel stats out/compare
  $ airlabel stats out/judged --field score --json`
        )
        .action(async (dir: string, flags: StatsFlags) => {
            const spec = await loadAnswerSpec({
                ...(flags.schema !== undefined ? {schema: flags.schema} : {}),
                ...(flags.config !== undefined ? {config: flags.config} : {}),
                ...(flags.choices !== undefined ? {choices: choiceList(flags.choices)} : {})
            });
            const stats = await handoffStats({dir, ...spec, ...(flags.field !== undefined ? {field: flags.field} : {})});
            for (const note of stats.notes) process.stderr.write(`airlabel: note: ${note}\n`);
            process.stdout.write(flags.json === true ? `${JSON.stringify(stats)}\n` : formatHandoffStats(stats));
        });
}
