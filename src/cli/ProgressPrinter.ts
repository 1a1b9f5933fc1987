import type {AnnotateProgress} from "../options/AnnotateOptions.js";

/** Prints one self-overwriting progress line on stderr (TTY only): rows done/total, rows/s, tokens/s, ETA. */
export class ProgressPrinter {
    private readonly _enabled: boolean;
    private _printed = false;
    private _lastPrint = 0;

    public constructor(enabled: boolean) {
        this._enabled = enabled && process.stderr.isTTY === true;
    }

    /** Redraws the line at most 5 times a second. */
    public update(progress: AnnotateProgress): void {
        if (!this._enabled) return;
        const now = Date.now();
        if (now - this._lastPrint < 200 && progress.doneRows + progress.resumedRows < progress.totalRows) return;
        this._lastPrint = now;
        const seconds = Math.max(progress.elapsedMs, 1) / 1000;
        const todo = progress.totalRows - progress.resumedRows;
        const rate = progress.doneRows / seconds;
        const eta = rate > 0 ? (todo - progress.doneRows) / rate : Number.NaN;
        const line =
            `rows ${progress.resumedRows + progress.doneRows}/${progress.totalRows}` +
            ` | ${rate.toFixed(1)} rows/s | ${(progress.generatedTokens / seconds).toFixed(0)} gen tok/s` +
            ` | failed ${progress.failedRows} | ETA ${Number.isFinite(eta) ? formatDuration(eta) : "?"}`;
        process.stderr.write(`\r\x1b[2K${line}`);
        this._printed = true;
    }

    public end(): void {
        if (this._printed) process.stderr.write("\n");
        this._printed = false;
    }
}

function formatDuration(seconds: number): string {
    if (seconds < 60) return `${seconds.toFixed(0)}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
    return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}
