import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type {Dataset, DatasetRecord} from "../../src/datasets/Dataset.js";

/** A fresh temp directory for one test. */
export function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-"));
}

/** All records of a dataset. */
export async function collect(dataset: Dataset): Promise<DatasetRecord[]> {
    const records: DatasetRecord[] = [];
    for await (const record of dataset.rows()) records.push(record);
    return records;
}

/** The values of every record, failing on error records. */
export async function collectValues(dataset: Dataset): Promise<Record<string, unknown>[]> {
    return (await collect(dataset)).map((record) => {
        if ("error" in record) throw new Error(`unexpected error record at ${record.location}: ${record.error}`);
        return record.values;
    });
}

/** The message of the error a promise rejects with. */
export async function errorMessage(promise: Promise<unknown>): Promise<string> {
    try {
        await promise;
    } catch (err) {
        return (err as Error).message;
    }
    throw new Error("expected the promise to reject");
}
