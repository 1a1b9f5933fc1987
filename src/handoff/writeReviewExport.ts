import fs from "node:fs/promises";
import path from "node:path";
import {writeFileDurable} from "../files/durableFs.js";
import {errorSummaryOf} from "../output/outputErrors.js";
import {stringifyJson} from "../json/stringifyJson.js";
import {ExportError} from "./exportOutput.js";
import type {HandoffSource} from "./readHandoffSource.js";
import type {AnswerField} from "./resolveAnswerField.js";
import {toArgilla} from "./toArgilla.js";
import {toLabelStudio} from "./toLabelStudio.js";
import {toProdigy} from "./toProdigy.js";
import {byConfidence} from "./rowConfidence.js";

/** The targets a reviewing tool reads. */
export type ReviewTarget = "argilla" | "prodigy" | "label-studio";

/** Options of `writeReviewExport`. */
export interface WriteReviewExportOptions {
    to: ReviewTarget;
    /** Absolute target: the Argilla folder, the Prodigy JSONL file or the Label Studio JSON file. Required. */
    out: string;
    /** The target as the user named it, for messages. Defaults to `out`. */
    shown?: string;
    /** Prodigy: the input column shown as `text`. Defaults as in toProdigy. */
    text?: string;
    /** Argilla: the guidelines (markdown). Defaults to toArgilla's paragraph. */
    guidelines?: string;
    /** "confidence": records in ascending order of the rows' confidence (see rowConfidence), so a tool that shows them in file order shows the least confident first. Defaults to "idx". */
    order?: "idx" | "confidence";
}

/** What `writeReviewExport` wrote. */
export interface ReviewExportWritten {
    /** Absolute paths of the files written (Argilla: records.json, .argilla/settings.json, .argilla/dataset.json; Label Studio: tasks, then config). */
    files: string[];
    records: number;
    skipped: number;
    failed: number;
}

/** The Argilla folder's files, as `rg.Dataset.from_disk` finds them (datasets/_io/_disk.py `_define_child_paths`). */
export const ARGILLA_RECORDS_FILE = "records.json";
export const ARGILLA_SETTINGS_FILE = path.join(".argilla", "settings.json");
export const ARGILLA_DATASET_FILE = path.join(".argilla", "dataset.json");

/**
 * Write a source for a reviewing tool: the Argilla 2.x `from_disk` folder, Prodigy JSONL tasks, or Label Studio
 * tasks (JSON) with their labeling config (`<name>.config.xml` beside them). Each file is written to a temp file,
 * fsynced and renamed. Throws `ExportError`, `AnswerFieldError`.
 */
export async function writeReviewExport(source: HandoffSource, field: AnswerField, options: WriteReviewExportOptions): Promise<ReviewExportWritten> {
    const {out} = options;
    const shown = options.shown ?? out;
    if (options.to === "argilla") {
        await refuseFile(out, shown);
        const built = toArgilla(source, field, options.guidelines !== undefined ? {guidelines: options.guidelines} : {});
        built.records = ordered(built.records, (record) => record.metadata.idx, source, options);
        const files = [ARGILLA_RECORDS_FILE, ARGILLA_SETTINGS_FILE, ARGILLA_DATASET_FILE].map((name) => path.join(out, name));
        // what Argilla's own to_disk writes: json.dump of each (records: a list of Record.to_dict())
        await writeOut(files[0]!, stringifyJson(built.records) + "\n", shown);
        await writeOut(files[1]!, JSON.stringify(built.settings) + "\n", shown);
        await writeOut(files[2]!, JSON.stringify(built.dataset) + "\n", shown);
        return {files, records: built.records.length, skipped: built.skipped, failed: built.failed};
    }
    if (options.to === "prodigy") {
        const built = toProdigy(source, field, options.text);
        built.tasks = ordered(built.tasks, (task) => task.meta.idx, source, options);
        await writeOut(out, built.tasks.map((task) => stringifyJson(task) + "\n").join(""), shown);
        return {files: [out], records: built.tasks.length, skipped: built.skipped, failed: built.failed};
    }
    const built = toLabelStudio(source, field);
    built.tasks = ordered(built.tasks, (task) => task.data.idx, source, options);
    const config = out.replace(/(\.json)?$/iu, ".config.xml");
    await writeOut(out, stringifyJson(built.tasks, 1) + "\n", shown);
    await writeOut(config, built.config, shown);
    return {files: [out, config], records: built.tasks.length, skipped: built.skipped, failed: built.failed};
}

/**
 * The records in the order asked for. They are built in idx order, and reordered only then: Prodigy's input hash of a
 * repeated text counts its occurrences in idx order, and must not depend on the order asked for.
 */
function ordered<Item>(items: Item[], idxOf: (item: Item) => unknown, source: HandoffSource, options: WriteReviewExportOptions): Item[] {
    if (options.order !== "confidence") return items;
    const rank = new Map(byConfidence(source.rows).map((row, i) => [row.idx, i]));
    return [...items].sort((a, b) => (rank.get(Number(idxOf(a))) ?? 0) - (rank.get(Number(idxOf(b))) ?? 0));
}

/** The Argilla export is a folder: refuse a target that is an existing file (the old `argilla.json` layout). */
async function refuseFile(out: string, shown: string): Promise<void> {
    const stat = await fs.stat(out).catch(() => null);
    if (stat !== null && !stat.isDirectory())
        throw new ExportError(`--out ${shown} is a file; the Argilla export is a folder (records.json + .argilla/), so name a folder`, {exitCode: 2});
}

/** Write one file durably, its folder made first. */
export async function writeOut(file: string, bytes: Uint8Array | string, shown: string | undefined): Promise<void> {
    try {
        await fs.mkdir(path.dirname(file), {recursive: true});
        await writeFileDurable(file, bytes);
    } catch (error) {
        throw new ExportError(`could not write ${shown ?? file} (${errorSummaryOf(error)}); fix the cause or choose another --out`, {cause: error});
    }
}
