import {type ChildProcess, spawn} from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import {llamaServerBinary} from "./llamaServerBinary.js";

/** Options of {@link LlamaServer.start}. */
export type LlamaServerOptions = {
    /** GGUF file the server loads. */
    model: string;
    /** Context size (`-c`), shared by the slots. Defaults to 1024. */
    contextSize?: number;
    /** Slots (`-np`): requests decoded together. Defaults to 2. */
    parallel?: number;
    /** How long to wait for /health to answer 200, in milliseconds. Defaults to 60000. */
    readyTimeoutMs?: number;
};

/**
 * A real llama.cpp llama-server (built by `npm run build:llama-server`) on 127.0.0.1, on a free port, one CPU
 * thread. `start` resolves once /health answers 200; `close` stops the process it spawned (safe to call twice).
 */
export class LlamaServer {
    readonly #child: ChildProcess;
    #log = "";
    #exited: Promise<void>;
    /** The API root airlabel's `--base-url` takes, ending in /v1. */
    public readonly baseUrl: string;
    /** The server's root (its own endpoints: /health, /tokenize, /props). */
    public readonly root: string;

    private constructor(child: ChildProcess, port: number) {
        this.#child = child;
        this.root = `http://127.0.0.1:${port}`;
        this.baseUrl = `${this.root}/v1`;
        const keep = (chunk: Buffer) => {
            this.#log = (this.#log + chunk.toString()).slice(-4000);
        };
        child.stdout?.on("data", keep);
        child.stderr?.on("data", keep);
        this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    }

    public static async start(options: LlamaServerOptions): Promise<LlamaServer> {
        const binary = llamaServerBinary();
        if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run npm run build:llama-server (builds llama.cpp's llama-server, offline)`);
        const port = await freePort();
        const args = ["-m", options.model, "--host", "127.0.0.1", "--port", String(port)];
        args.push("-c", String(options.contextSize ?? 1024), "-np", String(options.parallel ?? 2), "-t", "1", "-tb", "1", "--no-webui");
        const server = new LlamaServer(spawn(binary, args, {stdio: ["ignore", "pipe", "pipe"]}), port);
        try {
            await server.#waitReady(options.readyTimeoutMs ?? 60_000);
        } catch (err) {
            await server.close();
            throw err;
        }
        return server;
    }

    /** The tokens the model's tokenizer gives `text` (no BOS; the tokenizer's own space prefix, if any, applies), from the server's /tokenize. */
    public async tokenize(text: string): Promise<{id: number; piece: string}[]> {
        const response = await fetch(`${this.root}/tokenize`, {method: "POST", body: JSON.stringify({content: text, add_special: false, with_pieces: true})});
        if (!response.ok) throw new Error(`/tokenize answered ${response.status}: ${await response.text()}`);
        return ((await response.json()) as {tokens: {id: number; piece: string}[]}).tokens;
    }

    /** The id of the token whose text is exactly `piece` (found by tokenizing `text`, which must hold it as one token). */
    public async tokenId(piece: string, text = piece): Promise<number> {
        const tokens = await this.tokenize(text);
        const token = tokens.find((t) => t.piece === piece);
        if (token === undefined) throw new Error(`${JSON.stringify(text)} does not tokenize to a token ${JSON.stringify(piece)}: ${JSON.stringify(tokens)}`);
        return token.id;
    }

    /** POSTs `body` to `path` under /v1 and returns the parsed answer (throws on a non-2xx status, with its body). */
    public async post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
        const response = await fetch(`${this.baseUrl}${path}`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
        const text = await response.text();
        if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
        return JSON.parse(text) as Record<string, unknown>;
    }

    /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
    public async close(): Promise<void> {
        if (this.#child.exitCode === null && this.#child.signalCode === null) {
            this.#child.kill("SIGTERM");
            const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
            await this.#exited;
            clearTimeout(timer);
        }
    }

    async #waitReady(timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if (this.#child.exitCode !== null || this.#child.signalCode !== null)
                throw new Error(
                    `llama-server exited (${this.#child.exitCode ?? this.#child.signalCode}) before it was ready: ${this.#log.trim().split("\n").slice(-5).join(" | ")}`
                );
            const ok = await fetch(`${this.root}/health`).then(
                (response) => response.status === 200,
                () => false
            );
            if (ok) return;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`llama-server did not answer /health with 200 within ${timeoutMs} ms: ${this.#log.trim().split("\n").slice(-5).join(" | ")}`);
    }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const probe = net.createServer();
        probe.once("error", reject);
        probe.listen(0, "127.0.0.1", () => {
            const {port} = probe.address() as net.AddressInfo;
            probe.close(() => resolve(port));
        });
    });
}
