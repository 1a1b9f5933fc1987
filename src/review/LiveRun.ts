import fs from "node:fs/promises";
import path from "node:path";
import {readHandoffSource, type HandoffSource} from "../handoff/readHandoffSource.js";
import {type ReviewOrder, ReviewQueue} from "./ReviewQueue.js";

/**
 * The run a review server serves, read again when it changes: a resume or a `--retry-failed` pass that commits while
 * annotators review (new rows, answers that replaced failed ones) is in the next task handed out, without a restart.
 * A change is seen by the manifests' modification times (the run's, or each model's of a comparison), which every
 * commit rewrites; reviews themselves live in the review log, so rebuilding the queue loses nothing.
 */
export class LiveRun {
    #source: HandoffSource;
    #queue: ReviewQueue;
    #stamp: string;
    readonly #dir: string;
    readonly #overlap: number;
    readonly #order: ReviewOrder;

    private constructor(dir: string, source: HandoffSource, stamp: string, overlap: number, order: ReviewOrder) {
        this.#dir = dir;
        this.#source = source;
        this.#stamp = stamp;
        this.#overlap = overlap;
        this.#order = order;
        this.#queue = new ReviewQueue(source, overlap, order);
    }

    public static async open(dir: string, overlap: number, order: ReviewOrder): Promise<LiveRun> {
        const stamp = await manifestStamp(dir);
        return new LiveRun(dir, await readHandoffSource(dir, {allowIncomplete: true}), stamp, overlap, order);
    }

    public get source(): HandoffSource {
        return this.#source;
    }

    public get queue(): ReviewQueue {
        return this.#queue;
    }

    /** Reads the run again when a commit changed it since; the source and queue are then the new ones. */
    public async refresh(): Promise<void> {
        const stamp = await manifestStamp(this.#dir);
        if (stamp === this.#stamp) return;
        const source = await readHandoffSource(this.#dir, {allowIncomplete: true});
        this.#source = source;
        this.#queue = new ReviewQueue(source, this.#overlap, this.#order);
        this.#stamp = stamp;
    }
}

/** The modification times and sizes of the run's manifests (a comparison: each model's), as one string. */
async function manifestStamp(dir: string): Promise<string> {
    const files = [path.join(dir, "manifest.json")];
    const models = await fs.readdir(path.join(dir, "models"), {withFileTypes: true}).catch(() => []);
    for (const entry of models) if (entry.isDirectory()) files.push(path.join(dir, "models", entry.name, "manifest.json"));
    const stats = await Promise.all(files.map((file) => fs.stat(file).catch(() => null)));
    return stats.map((stat) => (stat === null ? "-" : `${stat.mtimeMs}:${stat.size}`)).join(",");
}
