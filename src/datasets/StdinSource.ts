import {Readable} from "node:stream";
import {DatasetError} from "./DatasetError.js";

/**
 * A one-pass input stream (stdin) that can be peeked: bytes read while peeking (to get columns)
 * are kept and replayed to the single full read, so only the peeked prefix is held in memory.
 * Every read from the underlying stream goes through one serialized `pull`, so a peek reader that
 * is abandoned mid-read cannot take a chunk away from the full read.
 */
export class StdinSource {
    private readonly iterator: AsyncIterator<Buffer | string>;
    /** Chunks read from the stream and not yet handed to the full read. */
    private readonly chunks: (Buffer | string)[] = [];
    private ended = false;
    private pending: Promise<void> | undefined;
    private fullReadStarted = false;

    public constructor(stream: NodeJS.ReadableStream) {
        this.iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    }

    /** A stream over the input from its start that keeps what it reads for the full read. Only before `stream()`. */
    public peekStream(): Readable {
        if (this.fullReadStarted) throw new DatasetError("stdin was already read; read its columns before its rows");
        const source = this;
        return Readable.from(
            (async function* () {
                for (let index = 0; ; ) {
                    if (index < source.chunks.length) yield source.chunks[index++]!;
                    else if (source.ended) return;
                    else await source.pull();
                }
            })(),
            {objectMode: false}
        );
    }

    /** The whole input from its start (the peeked prefix, then the rest). Can be called once. */
    public stream(): Readable {
        if (this.fullReadStarted) throw new DatasetError("stdin can be read only once; save it to a file to read it again");
        this.fullReadStarted = true;
        const source = this;
        return Readable.from(
            (async function* () {
                while (true) {
                    const chunk = source.chunks.shift();
                    if (chunk !== undefined) yield chunk;
                    else if (source.ended) return;
                    else await source.pull();
                }
            })(),
            {objectMode: false}
        );
    }

    /** Reads one more chunk from the stream into `chunks` (one read at a time). */
    private pull(): Promise<void> {
        this.pending ??= (async () => {
            try {
                const next = await this.iterator.next();
                if (next.done === true) this.ended = true;
                else this.chunks.push(next.value);
            } finally {
                this.pending = undefined;
            }
        })();
        return this.pending;
    }
}
