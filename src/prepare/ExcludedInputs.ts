import fs from "node:fs";
import path from "node:path";
import {openDataset} from "../datasets/openDataset.js";
import {TextOccurrences, prodigyInputHash} from "../files/prodigyInputHash.js";
import {readOutput} from "../output/readOutput.js";
import {PrepareError} from "./PrepareError.js";

/**
 * The inputs `--exclude` names (Prodigy's `exclude` / `filter_seen_before`), as the `_input_hash` airlabel's Prodigy
 * export gives them (see prodigyInputHash): a row whose text hashes to one of them was seen before. Sources: another
 * airlabel output dir (its answered and failed rows), a Prodigy export or db-out file (its `_input_hash` as written),
 * an Argilla `from_disk` folder (its records' text), or any dataset airlabel reads.
 */
export class ExcludedInputs {
    readonly #seen: ReadonlyMap<number, string>;
    readonly #occurrences = new TextOccurrences();

    private constructor(seen: ReadonlyMap<number, string>) {
        this.#seen = seen;
    }

    /** Reads every source; throws `PrepareError` naming one that cannot be read. */
    public static async load(sources: readonly string[]): Promise<ExcludedInputs> {
        const seen = new Map<number, string>();
        for (const source of sources) for (const hash of await hashesOf(source)) if (!seen.has(hash)) seen.set(hash, source);
        return new ExcludedInputs(seen);
    }

    /** Where a record (in input order) was seen before, or null; every record with a text must pass here once, in order. */
    public seenIn(values: Record<string, unknown>): string | null {
        const text = textOf(values);
        if (text === null) return null;
        return this.#seen.get(prodigyInputHash(text, this.#occurrences.next(text))) ?? null;
    }
}

/** The text a row shows (as the Prodigy export picks it): its `text` column, else its first text column. */
function textOf(values: Record<string, unknown>): string | null {
    if (typeof values.text === "string") return values.text;
    for (const value of Object.values(values)) if (typeof value === "string") return value;
    return null;
}

async function hashesOf(source: string): Promise<number[]> {
    const stat = fs.statSync(source, {throwIfNoEntry: false});
    if (stat === undefined) throw new PrepareError(`--exclude ${source}: not found; give an airlabel output dir, a Prodigy or Argilla export, or a dataset`);
    const texts = (rows: Record<string, unknown>[]) => {
        const occurrences = new TextOccurrences();
        return rows.flatMap((row) => {
            const text = textOf(row);
            return text === null ? [] : [prodigyInputHash(text, occurrences.next(text))];
        });
    };
    if (stat.isDirectory()) {
        if (fs.existsSync(path.join(source, "manifest.json"))) {
            const {rows, errors} = await readOutput(source, {items: false});
            const all = [...rows, ...errors.map((row) => ({idx: row.idx, ...(row.columns as Record<string, unknown> | undefined)}))];
            return texts(all.sort((a, b) => Number(a.idx) - Number(b.idx)).map(({idx: _idx, ...columns}) => columns));
        }
        if (fs.existsSync(path.join(source, "records.json"))) {
            const records = JSON.parse(fs.readFileSync(path.join(source, "records.json"), "utf8")) as {fields?: Record<string, unknown>}[];
            return texts(records.map((record) => record.fields ?? {}));
        }
    }
    const prodigy = prodigyHashesIn(source);
    if (prodigy !== null) return prodigy;
    const dataset = await openDataset(source, {});
    const rows: Record<string, unknown>[] = [];
    for await (const record of dataset.rows()) if (!("error" in record)) rows.push(record.values);
    return texts(rows);
}

/** The `_input_hash` of every task of a Prodigy JSONL file (null when the file is not one). */
function prodigyHashesIn(file: string): number[] | null {
    if (!/\.jsonl$/iu.test(file)) return null;
    const lines = fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "");
    const tasks = lines.map((line) => {
        try {
            return JSON.parse(line) as Record<string, unknown>;
        } catch {
            return null;
        }
    });
    if (tasks.length === 0 || !tasks.every((task) => task !== null && typeof task._input_hash === "number")) return null;
    return tasks.map((task) => task!._input_hash as number);
}
