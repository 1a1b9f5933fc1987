import fs from "node:fs";

/** An append-only temp file of text lines, written in chunks of `flushBytes` (prepare spills rows to disk with it). */
export class LineSpill {
    public readonly file: string;
    readonly #flushBytes: number;
    #handle: fs.promises.FileHandle | null = null;
    // lines are copied into bytes at once: a string kept in a list would keep alive the big chunk it was cut from
    #buffer: Buffer | null = null;
    #buffered = 0;
    #lines = 0;

    public constructor(file: string, flushBytes = 1 << 20) {
        this.file = file;
        this.#flushBytes = flushBytes;
    }

    public get lines(): number {
        return this.#lines;
    }

    public async write(line: string): Promise<void> {
        const bytes = Buffer.byteLength(line) + 1;
        this.#lines++;
        if (this.#buffered + bytes > this.#flushBytes) await this.#flush();
        if (bytes > this.#flushBytes) {
            await this.#writeOut(Buffer.from(`${line}\n`));
            return;
        }
        this.#buffer ??= Buffer.allocUnsafe(this.#flushBytes);
        this.#buffered += this.#buffer.write(line, this.#buffered);
        this.#buffer[this.#buffered++] = 0x0a;
    }

    /** Flushes and closes the file (it stays on disk for `read`). Safe to call twice. */
    public async close(): Promise<void> {
        await this.#flush();
        await this.#handle?.close();
        this.#handle = null;
    }

    /**
     * Reads the lines back in order (after `close`), a chunk at a time as the consumer asks for them (readline's
     * iterator would keep reading ahead while the consumer awaits, and queue the whole file in memory).
     */
    public async *read(): AsyncGenerator<string> {
        if (this.#lines === 0) return;
        const handle = await fs.promises.open(this.file, "r");
        try {
            const decoder = new TextDecoder();
            const chunk = Buffer.allocUnsafe(1 << 20);
            let rest = "";
            while (true) {
                const {bytesRead} = await handle.read(chunk, 0, chunk.length, null);
                if (bytesRead === 0) break;
                const lines = (rest + decoder.decode(chunk.subarray(0, bytesRead), {stream: true})).split("\n");
                rest = lines.pop()!;
                for (const line of lines) yield line;
            }
            rest += decoder.decode();
            if (rest !== "") yield rest;
        } finally {
            await handle.close();
        }
    }

    /** Closes and deletes the file. Safe to call twice. */
    public async remove(): Promise<void> {
        this.#buffer = null;
        this.#buffered = 0;
        await this.#handle?.close().catch(() => undefined);
        this.#handle = null;
        await fs.promises.rm(this.file, {force: true});
    }

    async #flush(): Promise<void> {
        if (this.#buffered === 0 || this.#buffer === null) return;
        const filled = this.#buffered;
        this.#buffered = 0;
        await this.#writeOut(this.#buffer.subarray(0, filled));
    }

    async #writeOut(bytes: Buffer): Promise<void> {
        this.#handle ??= await fs.promises.open(this.file, "w");
        let written = 0;
        while (written < bytes.length) written += (await this.#handle.write(bytes, written, bytes.length - written)).bytesWritten;
    }
}
