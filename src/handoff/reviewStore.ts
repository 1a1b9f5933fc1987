import fs from "node:fs/promises";
import path from "node:path";
import {AirlabelError} from "../AirlabelError.js";
import {writeFileDurable} from "../files/durableFs.js";
import {displayDir} from "../output/Manifest.js";
import type {AnswerKind} from "./resolveAnswerField.js";
import {sha256Of} from "../files/sha256Of.js";

/** A stored review set is unreadable, or its data file does not match its manifest. */
export class ReviewStoreError extends AirlabelError {}

/** The reviewers' verdict on one row. */
export interface ReviewedRow {
    idx: number;
    /** The reviewed answer (typed as the field's kind), or null when the reviewers gave none (rejected, ignored, discarded). */
    value: unknown;
    /** What the reviewers did: `accept`, `reject`, `ignore` (Prodigy), `submitted`, `discarded`, `draft` (Argilla), `labelled` (JSONL). */
    decision: string;
    /** How many reviews of the row were read (several annotators: the value is the majority's). */
    reviews: number;
    /** Reviewer ids, when the file names them. */
    annotators?: string[];
    /** Each annotator's own value (null for one who rejected, ignored or discarded), by annotator id, when the file names them. */
    values?: Record<string, unknown>;
    /** The annotators split with no majority: `value` is null and `decision` "tie", never one annotator's value picked. */
    tie?: boolean;
}

/** `reviews/<name>.json`: what was imported, from where, and the sha256 of `reviews/<name>.jsonl`. */
export interface ReviewManifest {
    format: "airlabel-reviews";
    version: 1;
    name: string;
    source: string;
    from: "prodigy" | "argilla" | "label-studio" | "jsonl";
    field: string;
    kind: AnswerKind;
    rows: number;
    /** Rows with a reviewed value (the rest were rejected, ignored, discarded or tied). */
    labelled: number;
    /** Rows whose annotators split with no majority (absent in sets imported before ties were flagged). */
    ties?: number;
    sha256: string;
    importedAt: string;
}

/** A stored review set. */
export interface ReviewSet {
    manifest: ReviewManifest;
    rows: ReviewedRow[];
}

export const REVIEWS_DIR = "reviews";

/**
 * Store a review set as `DIR/reviews/<name>.jsonl` (one row per reviewed idx, in idx order) and `DIR/reviews/<name>.json`
 * (its manifest, holding the data file's sha256), each written to a temp file, fsynced and renamed; the manifest last,
 * so a crash leaves either the old set or one whose checksum fails (and `readReviewSets` says to import again).
 * Re-importing under the same name replaces the set.
 */
export async function writeReviewSet(
    dir: string,
    manifest: Omit<ReviewManifest, "sha256" | "format" | "version">,
    rows: readonly ReviewedRow[]
): Promise<ReviewManifest> {
    const reviewsDir = path.join(dir, REVIEWS_DIR);
    await fs.mkdir(reviewsDir, {recursive: true});
    const data = Buffer.from(rows.map((row) => JSON.stringify(row) + "\n").join(""), "utf8");
    const full: ReviewManifest = {format: "airlabel-reviews", version: 1, ...manifest, sha256: sha256Of(data)};
    await writeFileDurable(path.join(reviewsDir, `${manifest.name}.jsonl`), data);
    await writeFileDurable(path.join(reviewsDir, `${manifest.name}.json`), JSON.stringify(full, null, 2) + "\n");
    return full;
}

/** Every review set stored in `DIR/reviews/`, by name. Throws `ReviewStoreError`. */
export async function readReviewSets(dir: string): Promise<ReviewSet[]> {
    const reviewsDir = path.join(dir, REVIEWS_DIR);
    let names: string[];
    try {
        names = (await fs.readdir(reviewsDir)).filter((name) => name.endsWith(".json")).sort();
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
    }
    const sets: ReviewSet[] = [];
    for (const file of names) {
        const shown = `${displayDir(dir)}${REVIEWS_DIR}/${file}`;
        let manifest: ReviewManifest;
        try {
            manifest = JSON.parse(await fs.readFile(path.join(reviewsDir, file), "utf8")) as ReviewManifest;
        } catch (error) {
            throw new ReviewStoreError(
                `${shown} cannot be read (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); run \`airlabel import\` again`,
                {cause: error}
            );
        }
        if (manifest.format !== "airlabel-reviews") continue;
        const dataFile = path.join(reviewsDir, `${manifest.name}.jsonl`);
        let data: Buffer;
        try {
            data = await fs.readFile(dataFile);
        } catch (error) {
            throw new ReviewStoreError(
                `${displayDir(dir)}${REVIEWS_DIR}/${manifest.name}.jsonl is missing (${(error as NodeJS.ErrnoException).code ?? String(error)}); run \`airlabel import\` again`,
                {cause: error}
            );
        }
        if (sha256Of(data) !== manifest.sha256)
            throw new ReviewStoreError(
                `${displayDir(dir)}${REVIEWS_DIR}/${manifest.name}.jsonl does not match its manifest (an import was interrupted); run \`airlabel import\` again`
            );
        const rows = data
            .toString("utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => JSON.parse(line) as ReviewedRow);
        sets.push({manifest, rows});
    }
    return sets;
}
