import fs from "node:fs";
import path from "node:path";
/** The levels of log lines (as AnnotateOptions.onLog gives them). */
type LogLevel = "info" | "warning";

/** The run's log file in its output dir. */
export const RUN_LOG_FILE = "airlabel.log";

/**
 * The run's log lines, also kept in `<output>/airlabel.log` with a timestamp and level each, appended across
 * resumes. Lines logged before the output dir is the run's (`attach`, once its lock is held) wait in memory; a run
 * that never gets the dir writes nothing there.
 */
export class RunLogFile {
    #file: string | null = null;
    #pending: string[] = [];

    /** The line as the file keeps it. */
    public line(text: string, level: LogLevel = "info"): void {
        const entry = `${new Date().toISOString()} [${level}] ${text}\n`;
        if (this.#file === null) this.#pending.push(entry);
        else this.#append(entry);
    }

    /** From now on lines go to `<dir>/airlabel.log` (the lines so far first). */
    public attach(dir: string): void {
        this.#file = path.join(dir, RUN_LOG_FILE);
        const pending = this.#pending.join("");
        this.#pending = [];
        if (pending !== "") this.#append(pending);
    }

    #append(text: string): void {
        try {
            fs.appendFileSync(this.#file!, text);
        } catch {
            // the log file is a convenience: a full disk fails the run where it matters (its shards), not here
        }
    }
}
