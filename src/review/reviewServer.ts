import crypto from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {InvalidOptionError} from "../AirlabelError.js";
import type {HandoffSource} from "../handoff/readHandoffSource.js";
import {refuseOneToMany} from "../handoff/refuseOneToMany.js";
import {REVIEW_ACTIONS, ReviewLog, reviewedRowHash, type ReviewAction} from "../handoff/ReviewLog.js";
import {AnswerSchema} from "../schema/AnswerSchema.js";
import {LiveRun} from "./LiveRun.js";
import {REVIEW_ORDERS, type ReviewOrder} from "./ReviewQueue.js";

/** Options of `startReviewServer` (`airlabel review`). */
export interface ReviewServerOptions {
    /** The output dir of a run, a comparison or a job step. Required (no default). */
    dir: string;
    /** Address to bind. Defaults to "127.0.0.1"; any other address needs the access token for every request of data. */
    host?: string;
    /** Port; 0 picks a free one. Defaults to 8765. */
    port?: number;
    /** Annotators each row goes to. Defaults to 1. */
    overlap?: number;
    /** The order rows are handed out in (see ReviewOrder). Defaults to "priority". */
    order?: ReviewOrder;
    /** The access token (at least 16 characters). Defaults to a random one, printed with the URL. */
    token?: string;
    /** Receives log lines. Defaults to none. */
    onLog?: (line: string) => void;
}

/** A running review server. */
export interface ReviewServer {
    /** The URL to open, with the access token. */
    url: string;
    token: string;
    close(): Promise<void>;
}

/** Where the UI's files are (copied beside the compiled module by `npm run build`). */
const UI_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "ui");
const CONTENT_TYPES: Readonly<Record<string, string>> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png"
};
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const MAX_BODY = 1 << 20;
const ANNOTATOR = /^[\p{L}\p{N}_.@ -]{1,64}$/u;

/** A request the server refuses, with its status. */
class Refused extends Error {
    public constructor(
        public readonly status: number,
        message: string
    ) {
        super(message);
    }
}

/**
 * `airlabel review`: a local web app over an output dir. Annotators (by name) get one row at a time with the input
 * fields, the model answers side by side and a form made from the answer's JSON Schema, and accept, correct, reject
 * or skip it, rate each answer, pick the better one and comment. Reviews go to the output dir's review log (fsynced
 * before the answer). Every API request needs the access token in `X-Airlabel-Token`; writes also must come from the
 * page itself (JSON only, same origin: no cross-site form or fetch can write).
 */
export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
    const host = options.host ?? "127.0.0.1";
    const overlap = options.overlap ?? 1;
    if (!Number.isSafeInteger(overlap) || overlap < 1) throw new InvalidOptionError(`--overlap must be a positive integer, got ${String(options.overlap)}`);
    if (options.token !== undefined && options.token.length < 16) throw new InvalidOptionError("--token must be at least 16 characters");
    const token = options.token ?? crypto.randomBytes(24).toString("base64url");
    const order = options.order ?? "priority";
    if (!REVIEW_ORDERS.includes(order)) throw new InvalidOptionError(`--order must be one of ${REVIEW_ORDERS.join(", ")}, got ${String(options.order)}`);
    const run = await LiveRun.open(options.dir, overlap, order);
    const source = run.source;
    refuseOneToMany(options.dir, source.meta, "airlabel review");
    const schema = schemaOf(source);
    const log = await ReviewLog.open(options.dir);
    const context: RequestContext = {run, schema, log, token, overlap, allowedHosts: new Set()};
    const server = http.createServer((request, response) => {
        handle(request, response, context).catch((error: unknown) => {
            const refused = error instanceof Refused ? error : new Refused(500, (error as Error).message.split("\n")[0] ?? "internal error");
            send(response, refused.status, {error: refused.message});
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 8765, host, () => resolve());
    });
    const {port} = server.address() as {port: number};
    const shownHost = host.includes(":") ? `[${host}]` : host;
    if (LOOPBACK.has(host)) for (const name of ["127.0.0.1", "localhost", "[::1]"]) context.allowedHosts.add(`${name}:${port}`);
    const url = `http://${shownHost}:${port}/#token=${token}`;
    options.onLog?.(
        `reviewing ${source.rows.length} rows of ${options.dir} (${source.models.length} model${source.models.length === 1 ? "" : "s"}, overlap ${overlap}): open ${url}`
    );
    return {
        url,
        token,
        close: async () => {
            await new Promise<void>((resolve) => server.close(() => resolve()));
            server.closeAllConnections();
            await log.close();
        }
    };
}

type RequestContext = {
    /** The run, read again when a commit changes it (its source and queue). */
    run: LiveRun;
    schema: AnswerSchema | null;
    log: ReviewLog;
    token: string;
    overlap: number;
    /** Host headers a request may carry on a loopback bind (no DNS rebinding onto it); empty: any (the token guards it). */
    allowedHosts: Set<string>;
};

async function handle(request: http.IncomingMessage, response: http.ServerResponse, context: RequestContext): Promise<void> {
    const url = new URL(request.url ?? "/", "http://server");
    if (context.allowedHosts.size > 0 && !context.allowedHosts.has(request.headers.host ?? "")) throw new Refused(421, "unexpected Host header");
    if (!url.pathname.startsWith("/api/")) return serveStatic(url.pathname, request, response);
    checkToken(request, context.token);
    await context.run.refresh();
    if (request.method === "GET" && url.pathname === "/api/info") return send(response, 200, infoOf(context));
    if (request.method === "GET" && url.pathname === "/api/next") {
        const annotator = annotatorOf(url.searchParams.get("annotator"));
        const task = context.run.queue.next(annotator, context.log.entries);
        return send(response, 200, {task, progress: context.run.queue.progress(context.log.entries)});
    }
    if (request.method === "GET" && url.pathname === "/api/progress") return send(response, 200, context.run.queue.progress(context.log.entries));
    if (request.method === "POST" && url.pathname === "/api/review") {
        checkSameOrigin(request);
        const entry = await context.log.append(reviewOf(await readJson(request), context));
        return send(response, 200, {entry, progress: context.run.queue.progress(context.log.entries)});
    }
    throw new Refused(404, `no such API: ${request.method ?? "?"} ${url.pathname}`);
}

function checkToken(request: http.IncomingMessage, token: string): void {
    const given = Buffer.from(String(request.headers["x-airlabel-token"] ?? ""));
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
        throw new Refused(401, "missing or wrong access token (X-Airlabel-Token); open the URL airlabel review printed");
}

/** A write comes from the page itself: JSON (a form cannot send it), and no other site's Origin or Fetch-Site. */
function checkSameOrigin(request: http.IncomingMessage): void {
    if (!/^application\/json\b/u.test(String(request.headers["content-type"] ?? ""))) throw new Refused(415, "reviews are sent as application/json");
    // the page's own origin is the host it was loaded from
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ""}`) throw new Refused(403, `cross-origin write from ${origin} refused`);
    const site = request.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") throw new Refused(403, `cross-site write (${String(site)}) refused`);
}

async function serveStatic(pathname: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") throw new Refused(405, "only GET here");
    const name = pathname === "/" ? "index.html" : decodeURIComponent(pathname.replace(/^\/static\//u, ""));
    const file = path.resolve(UI_DIR, name);
    // nothing outside the UI's own folder, whatever the path says (../, encoded or not)
    if (path.dirname(file) !== UI_DIR || !(pathname === "/" || pathname.startsWith("/static/"))) throw new Refused(404, "not found");
    const type = CONTENT_TYPES[path.extname(file)];
    if (type === undefined) throw new Refused(404, "not found");
    const body = await fs.readFile(file).catch(() => {
        throw new Refused(404, "not found");
    });
    response.writeHead(200, {
        "content-type": type,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'self'; frame-ancestors 'none'"
    });
    response.end(request.method === "HEAD" ? undefined : body);
}

function infoOf(context: RequestContext): Record<string, unknown> {
    const {source} = context.run;
    return {
        dir: source.dir,
        comparison: source.comparison,
        models: source.models,
        schema: context.schema?.jsonSchema ?? null,
        overlap: context.overlap,
        rows: source.rows.length
    };
}

function annotatorOf(value: unknown): string {
    if (typeof value !== "string" || !ANNOTATOR.test(value)) throw new Refused(400, "annotator must be a name of 1 to 64 letters, digits, spaces or _.@-");
    return value;
}

/** The review in a request body, checked: a known row, a known action, an answer that matches the schema. */
function reviewOf(body: unknown, context: RequestContext): Parameters<ReviewLog["append"]>[0] {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Refused(400, "a review is a JSON object");
    const review = body as Record<string, unknown>;
    const annotator = annotatorOf(review.annotator);
    const idx = review.idx;
    const row = context.run.source.rows.find((candidate) => candidate.idx === idx);
    if (typeof idx !== "number" || row === undefined) throw new Refused(400, `idx ${JSON.stringify(idx)} is not a row of this run`);
    const action = review.action as ReviewAction;
    if (!REVIEW_ACTIONS.includes(action)) throw new Refused(400, `action must be one of ${REVIEW_ACTIONS.join(", ")}`);
    const models = new Set(context.run.source.models.map((model) => model.id));
    const model = review.model ?? null;
    if (model !== null && (typeof model !== "string" || !models.has(model))) throw new Refused(400, `model ${JSON.stringify(model)} did not answer this run`);
    const value = action === "accept" || action === "correct" ? review.value : null;
    if (value === undefined) throw new Refused(400, `${action} needs the answer as value`);
    if (value !== null && context.schema !== null) {
        const checked = context.schema.check(JSON.stringify(value));
        if (!checked.ok) throw new Refused(400, checked.reason);
    }
    const ratings = (review.ratings ?? {}) as Record<string, unknown>;
    if (typeof ratings !== "object" || Array.isArray(ratings)) throw new Refused(400, "ratings is an object of model id -> 1..5");
    for (const [id, rating] of Object.entries(ratings))
        if (!models.has(id) || typeof rating !== "number" || !Number.isInteger(rating) || rating < 1 || rating > 5)
            throw new Refused(400, `rating ${JSON.stringify(rating)} of ${JSON.stringify(id)}: ratings are 1..5 for a model that answered`);
    const better = review.better ?? null;
    if (better !== null && (typeof better !== "string" || !models.has(better)))
        throw new Refused(400, `better ${JSON.stringify(better)} is not a model of this run`);
    const comment = review.comment ?? "";
    if (typeof comment !== "string" || comment.length > 10_000) throw new Refused(400, "comment is text of at most 10,000 characters");
    return {annotator, idx, action, value, model, ratings: ratings as Record<string, number>, better, comment, seen: reviewedRowHash(row)};
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) throw new Refused(413, "a review is at most 1 MiB");
        chunks.push(chunk as Buffer);
    }
    try {
        return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
        throw new Refused(400, "the body is not JSON");
    }
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
    if (response.headersSent) return;
    response.writeHead(status, {"content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff"});
    response.end(JSON.stringify(body));
}

/** The run's answer schema (the manifest's), for the form and to check corrections; null for free text. */
function schemaOf(source: HandoffSource): AnswerSchema | null {
    const schema = source.meta.schema;
    return typeof schema === "object" && schema !== null ? AnswerSchema.fromJsonSchema(schema as Record<string, unknown>, "the run's schema") : null;
}
