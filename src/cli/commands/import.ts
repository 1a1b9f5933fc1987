import path from "node:path";
import {Option} from "commander";
import type {Command} from "commander";
import {importReviews, REVIEW_SOURCES} from "../../handoff/importReviews.js";
import type {ReviewSource} from "../../handoff/importReviews.js";
import {loadAnswerSpec} from "../../handoff/loadAnswerSpec.js";
import {choiceList} from "../../jobs/jobOptions.js";

type ImportFlags = {from?: ReviewSource; as?: string; field?: string; schema?: string; choices?: string; config?: string; json?: boolean};

/** `airlabel import OUTPUT_DIR reviewed.jsonl|argilla.json`: store reviewed data, joined on idx, for `airlabel stats`. */
export function registerImportCommand(program: Command): void {
    program
        .command("import")
        .description(
            "read reviewed data back (Prodigy db-out JSONL, Argilla records JSON, Label Studio JSON export, or JSONL of {idx, value}), joined on idx, into <output-dir>/reviews/ for airlabel stats"
        )
        .argument("<output-dir>", "the output dir (run or comparison) the data was exported from")
        .argument("<file>", "the reviewed file")
        .addOption(new Option("--from <tool>", "the file's format (default: told from its first record)").choices([...REVIEW_SOURCES]))
        .option("--as <name>", "name of the review set, stored as reviews/<name>.jsonl; importing again under it replaces it", "reviewed")
        .option("--field <key>", "the answer key that was reviewed (default: as airlabel export chose it)")
        .option("--schema <file.json>", "the JSON Schema the run used")
        .option("--choices <a,b,c>", "the labels the run used")
        .option("--config <job.json|job.yaml>", "the run's job file: its schema and choices are used")
        .option("--json", "print what was stored as JSON on stdout")
        .addHelpText(
            "after",
            `
Examples:
  $ prodigy db-out reviews_ds > reviewed.jsonl && airlabel import out/reviews reviewed.jsonl
  $ airlabel import out/reviews argilla-records.json --from argilla --as team-a
  $ airlabel import out/reviews project-1-at-2026-01-05.json --from label-studio
  $ airlabel stats out/reviews`
        )
        .action(async (dir: string, file: string, flags: ImportFlags) => {
            const spec = await loadAnswerSpec({
                ...(flags.schema !== undefined ? {schema: flags.schema} : {}),
                ...(flags.config !== undefined ? {config: flags.config} : {}),
                ...(flags.choices !== undefined ? {choices: choiceList(flags.choices)} : {})
            });
            const result = await importReviews({
                dir,
                file,
                ...spec,
                ...(flags.from !== undefined ? {from: flags.from} : {}),
                ...(flags.as !== undefined ? {as: flags.as} : {}),
                ...(flags.field !== undefined ? {field: flags.field} : {})
            });
            for (const note of result.notes) process.stderr.write(`airlabel: note: ${note}\n`);
            const relative = path.relative(process.cwd(), result.stored);
            const stored = relative.startsWith("..") || path.isAbsolute(relative) ? result.stored : relative;
            process.stderr.write(
                `airlabel: imported ${result.manifest.rows} reviewed rows from ${file} (${result.manifest.from}; ${result.labelled} with a ${result.manifest.field}, ` +
                    `${result.withoutValue - result.ties} rejected, ignored or discarded, ${result.ties} ${result.ties === 1 ? "tie" : "ties"} between annotators) ` +
                    `into ${stored}; compare with: airlabel stats ${dir}\n`
            );
            if (flags.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
        });
}
