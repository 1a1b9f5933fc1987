import {type Command, Option} from "commander";
import {InvalidOptionError} from "../../AirlabelError.js";
import {startReviewServer} from "../../review/reviewServer.js";
import {REVIEW_ORDERS, type ReviewOrder} from "../../review/ReviewQueue.js";

type ReviewFlags = {host?: string; port?: string; overlap?: string; token?: string; order?: ReviewOrder};

/** `airlabel review OUTPUT_DIR`: the local review web app, until Ctrl+C. */
export function registerReviewCommand(program: Command): void {
    program
        .command("review")
        .description("a local web app to review a run's answers: accept, correct, reject or skip each row, rate the answers, pick the better one")
        .argument("<output-dir>", "the output dir of a run, a comparison or a job step")
        .option("--host <address>", "address to bind (default 127.0.0.1); every request needs the printed access token")
        .option("--port <n>", "port (default 8765; 0 picks a free one)")
        .option("--overlap <n>", "annotators each row goes to (default 1)")
        .addOption(
            new Option(
                "--order <order>",
                "priority: failed rows, then disagreements, then the least confident; confidence: the least confident first; idx: input order (default priority)"
            ).choices(REVIEW_ORDERS)
        )
        .option("--token <token>", "the access token (at least 16 characters; default: a random one, printed)")
        .addHelpText(
            "after",
            `
Examples:
  $ airlabel review out/reviews
  $ airlabel review out/compare --overlap 2 --host 0.0.0.0 --port 8080
  $ airlabel review out/reviews --order confidence`
        )
        .action(async (dir: string, flags: ReviewFlags) => {
            const server = await startReviewServer({
                dir,
                ...(flags.host !== undefined ? {host: flags.host} : {}),
                ...(flags.port !== undefined ? {port: integerOf(flags.port, "--port")} : {}),
                ...(flags.overlap !== undefined ? {overlap: integerOf(flags.overlap, "--overlap")} : {}),
                ...(flags.token !== undefined ? {token: flags.token} : {}),
                ...(flags.order !== undefined ? {order: flags.order} : {}),
                onLog: (line) => process.stderr.write(`airlabel: ${line}\n`)
            });
            await new Promise<void>((resolve) => {
                const stop = () => {
                    process.off("SIGINT", stop);
                    process.off("SIGTERM", stop);
                    resolve();
                };
                process.on("SIGINT", stop);
                process.on("SIGTERM", stop);
            });
            await server.close();
            process.stderr.write("airlabel: review server stopped; every accepted review is in the output dir's review/log.jsonl\n");
        });
}

function integerOf(text: string, flag: string): number {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidOptionError(`${flag} must be a non-negative integer, got ${text}`);
    return value;
}
