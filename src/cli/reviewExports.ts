import {InvalidOptionError} from "../AirlabelError.js";
import {exportGold} from "../handoff/exportGold.js";
import {exportTraining} from "../handoff/exportTraining.js";
import {resolveJobOptions} from "../jobs/jobOptions.js";

/** The export targets made from the reviews of `airlabel review`. */
export const REVIEW_TARGETS = ["gold", "sft", "preference"] as const;

/** What `export --to gold|sft|preference` reads from the command line. */
export type ReviewExportFlags = {
    to: string;
    out?: string;
    config?: string;
    template?: string;
    prompt?: string;
    system?: string;
    systemFile?: string;
    json?: boolean;
};

/**
 * `airlabel export OUT --to gold|sft|preference`: the reviewed answers merged over the model's, or training data
 * from the reviews (the instruction rendered with the run's template: --template/--prompt or its --config).
 */
export async function exportFromReviews(dir: string, flags: ReviewExportFlags): Promise<void> {
    const out = flags.out !== undefined ? {out: flags.out} : {};
    if (flags.to === "gold") {
        const gold = await exportGold({dir, ...out});
        process.stderr.write(
            `airlabel: wrote ${gold.rows} rows to ${gold.file}: ${gold.reviewed} with the reviewers' answer, ${gold.fromModel} still the model's, ${gold.rejected} rejected, ${gold.ties} tied\n`
        );
        if (flags.json === true) process.stdout.write(`${JSON.stringify(gold)}\n`);
        return;
    }
    const {config, template, prompt, system, systemFile} = flags;
    const options = resolveJobOptions({config, template, prompt, system, systemFile}, {}, []);
    if (options.template === undefined)
        throw new InvalidOptionError(
            `--to ${flags.to} renders each row's instruction with the run's template: give --template, --prompt or the run's --config`
        );
    const kind = flags.to === "sft" ? "sft" : "preference";
    const result = await exportTraining({dir, kind, template: options.template, ...(options.system !== undefined ? {system: options.system} : {}), ...out});
    process.stderr.write(
        `airlabel: wrote ${result.examples} ${kind === "sft" ? "examples" : "preference pairs"} to ${result.file} (${result.unused} reviews gave none)\n`
    );
    if (flags.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
}
