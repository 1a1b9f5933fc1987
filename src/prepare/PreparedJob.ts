import type {ChatMessage} from "../chat/ChatMessage.js";

/** One row ready to generate. */
export type PreparedRow = {
    /** Stable row index: the record's position in the input. */
    idx: number;
    /** The rendered user prompt (chat formatting is applied by the engine). */
    prompt: string;
    /** This row's own system message (from a prompt hook); absent: the run's. */
    system?: string;
    /** This row's own turns between the system message and `prompt` (a prompt hook's message list); absent: the run's (its few-shot examples, if any). */
    turns?: ChatMessage[];
    /** Tokens the model sees for this row, chat formatting included. */
    promptTokens: number;
    /** sha256 of the input record. */
    inputHash: string;
    /** The row's key across re-runs (see RowKeys): 16 hex digits. */
    key: string;
    /** The kept input columns. */
    columns: Record<string, unknown>;
};

/** A row that cannot be generated (malformed input, duplicate, too long, a prompt hook that failed); it goes to the errors file. */
export type PreparedFailure = {
    idx: number;
    stage: "input" | "prepare" | "hook";
    reason: string;
    location: string;
    /** The row's key across re-runs (see RowKeys): 16 hex digits. */
    key: string;
    /** sha256 of the input record (none for a row that could not be read). */
    inputHash?: string;
    /** The row's kept input columns (none for a row that could not be read). */
    columns?: Record<string, unknown>;
};

/** A slice of the job in generation order: a few thousand rows, so memory does not grow with the input. */
export type PreparedWindow = {
    rows: PreparedRow[];
    failures: PreparedFailure[];
};

/**
 * The prepare stage's result. The rows themselves stay on disk (the Arrow IPC cache, in generation order) and are
 * read window by window, so a run over a million rows holds only a few thousand in memory.
 */
export type PreparedJob = {
    /** Input records considered (after maxRows). */
    totalRows: number;
    /** Rows to generate (prompts within the context). */
    rowCount: number;
    /** Rows that failed in prepare (malformed, duplicate, prompt longer than the context): they go to the errors file. */
    failureCount: number;
    /** sha256 over every input record's hash, in input order: the input's identity. */
    inputHash: string;
    /** With `prefixRows`: the same over the first `prefixRows` records; null when the input has fewer. */
    prefixHash?: string | null;
    /** Input columns (names). */
    columns: string[];
    /** What the rows' keys are made from (see RowKeys.source): "content" or "id:<column>". */
    keySource: string;
    /** Fewest prompt tokens of any row to generate (0 when there is none). */
    minPromptTokens: number;
    /** Most prompt tokens of any row to generate (0 when there is none). */
    maxPromptTokens: number;
    /** Prompt tokens of all rows to generate. */
    totalPromptTokens: number;
    /** The prompt of the row with the lowest idx (null when no row renders). */
    firstPrompt: string | null;
    /** Whether this came from the cache of an earlier prepare. */
    fromCache: boolean;
    /** Records an earlier prepare of the input's first records had made, whose rows were copied (not rendered and tokenized again); 0 when none. */
    grownFrom: number;
    /** The folder of Arrow IPC files (one per window, in generation order) holding the prepared rows. */
    cacheDir: string;
    /**
     * The job in generation order (`sort`), window by window: every input idx appears exactly once across the
     * windows, either as a row or as a failure. Can be read more than once.
     */
    windows(): AsyncGenerator<PreparedWindow>;
};
