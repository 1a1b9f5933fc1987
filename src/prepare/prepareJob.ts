import crypto from "node:crypto";
import fs from "node:fs/promises";
import type {LlamaModel} from "node-llama-cpp";
import {AirlabelError} from "../AirlabelError.js";
import {approxTokens} from "../backends/openai/approxTokens.js";
import {openDataset} from "../datasets/openDataset.js";
import {chatWrapperFor, formatPrompt} from "../engine/formatPrompt.js";
import {tokenizePrompt} from "../engine/tokenizePrompt.js";
import type {PrepareOptions} from "../options/AnnotateOptions.js";
import {RESERVED_OUTPUT_COLUMNS} from "../output/OutputRow.js";
import {PromptTemplate} from "../prompts/PromptTemplate.js";
import {PreparedCache} from "./PreparedCache.js";
import type {PreparedFailure, PreparedJob, PreparedRow} from "./PreparedJob.js";

/** Raised when the input's columns clash with airlabel's output columns or a kept column does not exist. */
export class PrepareError extends AirlabelError {}

export type PrepareJobOptions = Required<Pick<PrepareOptions, "template" | "templateOrigin" | "chatTemplate" | "sort" | "dedup" | "skipInvalidRows">> & PrepareOptions & {
    /** The model, loaded at least with its vocabulary (tokenizer and chat template); null for a remote model, whose prompt tokens are estimated (see approxTokens). */
    vocabModel: LlamaModel | null,
    /** Fingerprint of the model file (see checkModelFile). */
    modelFingerprint: string,
    /** Largest prompt (in tokens) a row may have; longer rows fail with a reason. Defaults to no limit. */
    maxPromptTokens?: number,
    /** Reuse/write the prepared-rows cache under the output dir. Defaults to true. */
    useCache?: boolean
};

/**
 * The prepare stage: reads the input, renders each row's prompt, counts its tokens with the model's
 * tokenizer (chat template included), assigns stable `idx`, hashes every record, optionally shuffles,
 * truncates, deduplicates and sorts by token count. Cached under the output dir.
 */
export async function prepareJob(options: PrepareJobOptions): Promise<PreparedJob> {
    const dataset = await openDataset(options.input, {
        skipInvalidRows: options.skipInvalidRows,
        ...(options.inputFormat !== undefined ? {format: options.inputFormat} : {})
    });
    const template = new PromptTemplate(options.template, options.templateOrigin);
    const cacheKey = options.useCache === false || dataset.files.length === 0 ? null : await cacheKeyFor(dataset.files, options);
    const cache = cacheKey === null ? null : new PreparedCache(options.output, cacheKey);
    const cached = await cache?.load();
    if (cached != null) return finish(cached, options);

    const columnInfo = await dataset.columns();
    const columns = columnInfo.map((c) => c.name);
    template.checkColumns(columns);
    const keep = options.keepColumns ?? columns.filter((c) => !RESERVED_OUTPUT_COLUMNS.includes(c));
    for (const name of keep) {
        if (!columns.includes(name))
            throw new PrepareError(`--keep-columns names "${name}", which ${options.input} does not have; columns available: ${columns.join(", ")}`);
        if (RESERVED_OUTPUT_COLUMNS.includes(name))
            throw new PrepareError(`input column "${name}" clashes with airlabel's output column of that name; leave it out of --keep-columns`);
    }

    const vocabModel = options.vocabModel;
    const wrapper = vocabModel === null ? null : chatWrapperFor(vocabModel, options.chatTemplate);
    const records = await collectRecords(dataset.rows(), options);
    const rows: PreparedRow[] = [];
    const failures: PreparedFailure[] = [];
    const allHashes = crypto.createHash("sha256");
    const seenPrompts = new Map<string, number>();
    const seenIdx = new Set<number>();
    for (const record of records) {
        if ("error" in record) {
            allHashes.update(`!${record.ordinal}\n`);
            failures.push({idx: record.ordinal, stage: "input", reason: record.error, location: record.location});
            continue;
        }
        const idx = options.idxColumn === undefined ? record.ordinal : idxOf(record.values, options.idxColumn, record.location, seenIdx);
        const canonical = JSON.stringify(record.values);
        const inputHash = crypto.createHash("sha256").update(canonical).digest("hex");
        allHashes.update(`${inputHash}\n`);
        let prompt: string;
        try {
            prompt = template.render(record.values, record.location);
        } catch (err) {
            if (!options.skipInvalidRows) throw err;
            failures.push({idx, stage: "prepare", reason: (err as Error).message, location: record.location});
            continue;
        }
        if (options.dedup) {
            const first = seenPrompts.get(prompt);
            if (first !== undefined) {
                failures.push({idx, stage: "prepare", reason: `duplicate of row idx ${first} (--dedup)`, location: record.location});
                continue;
            }
            seenPrompts.set(prompt, idx);
        }
        const promptTokens = vocabModel === null
            ? approxTokens(`${options.system ?? ""}${prompt}`)
            : tokenizePrompt(vocabModel, formatPrompt(wrapper, options.system, prompt)).length;
        const kept: Record<string, unknown> = {};
        for (const name of keep) kept[name] = record.values[name] ?? null;
        rows.push({idx, prompt, promptTokens, inputHash, columns: kept});
    }
    const job: PreparedJob = {
        rows, failures, totalRows: records.length, inputHash: allHashes.digest("hex"), columns,
        maxPromptTokens: rows.reduce((max, row) => Math.max(max, row.promptTokens), 0), fromCache: false, cacheFile: cache?.file ?? null
    };
    await cache?.save(job);
    return finish(job, options);
}

/** The row's idx from `column` (options.idxColumn): a non-negative integer, unique in the input. */
function idxOf(values: Record<string, unknown>, column: string, location: string, seen: Set<number>): number {
    const value = values[column];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
        throw new PrepareError(`${location}: column "${column}" must hold the row's idx (a non-negative integer), found ${JSON.stringify(value) ?? "nothing"}`);
    if (seen.has(value)) throw new PrepareError(`${location}: idx ${value} (column "${column}") appears twice; each row needs its own idx`);
    seen.add(value);
    return value;
}

type DatasetRecord = {ordinal: number, location: string, values: Record<string, unknown>} | {ordinal: number, location: string, error: string};

async function collectRecords(source: AsyncIterable<DatasetRecord>, options: PrepareJobOptions): Promise<DatasetRecord[]> {
    const records: DatasetRecord[] = [];
    const stopAt = options.shuffleSeed === undefined ? options.maxRows : undefined;
    for await (const record of source) {
        records.push(record);
        if (stopAt !== undefined && records.length >= stopAt) break;
    }
    if (options.shuffleSeed !== undefined) {
        shuffleInPlace(records, options.shuffleSeed);
        if (options.maxRows !== undefined) records.length = Math.min(records.length, options.maxRows);
        records.sort((a, b) => a.ordinal - b.ordinal);
    }
    return records;
}

/** Applies the limits that depend on the run (context size) and the generation order. Not cached. */
function finish(job: PreparedJob, options: PrepareJobOptions): PreparedJob {
    let rows = job.rows;
    const failures = [...job.failures];
    if (options.maxPromptTokens !== undefined) {
        const limit = options.maxPromptTokens;
        rows = rows.filter((row) => {
            if (row.promptTokens <= limit) return true;
            failures.push({idx: row.idx, stage: "prepare", reason: `prompt has ${row.promptTokens} tokens, more than the ${limit} the context leaves for it; raise --context-size or shorten the prompt`, location: `row idx ${row.idx}`});
            return false;
        });
    }
    rows = [...rows];
    if (options.sort === "shortest") rows.sort((a, b) => a.promptTokens - b.promptTokens || a.idx - b.idx);
    else if (options.sort === "longest") rows.sort((a, b) => b.promptTokens - a.promptTokens || a.idx - b.idx);
    else rows.sort((a, b) => a.idx - b.idx);
    failures.sort((a, b) => a.idx - b.idx);
    return {...job, rows, failures};
}

async function cacheKeyFor(files: string[], options: PrepareJobOptions): Promise<string> {
    const stats = await Promise.all(files.map(async (file) => {
        const stat = await fs.stat(file);
        return [file, stat.size, stat.mtimeMs];
    }));
    return crypto.createHash("sha256").update(JSON.stringify({
        stats, template: options.template, system: options.system ?? null, chatTemplate: options.chatTemplate,
        model: options.modelFingerprint, keepColumns: options.keepColumns ?? null, maxRows: options.maxRows ?? null,
        shuffleSeed: options.shuffleSeed ?? null, dedup: options.dedup, skipInvalidRows: options.skipInvalidRows,
        inputFormat: options.inputFormat ?? null, ...(options.idxColumn !== undefined ? {idxColumn: options.idxColumn} : {})
    })).digest("hex");
}

function shuffleInPlace<T>(items: T[], seed: number): void {
    let state = seed >>> 0 || 0x9e3779b9;
    const next = () => {
        state ^= state << 13; state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5; state >>>= 0;
        return state / 0x100000000;
    };
    for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j]!, items[i]!];
    }
}
