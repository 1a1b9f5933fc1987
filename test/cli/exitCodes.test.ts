import {describe, expect, test} from "vitest";
import {runCli} from "../support/fixtures.js";

// The README's exit codes: 2 for invalid options, whatever part of the command line is wrong.
describe("usage errors exit 2", () => {
    test.each([
        {what: "an unknown option", args: ["run", "--bogus"], line: "error: unknown option '--bogus'"},
        {what: "a missing option value", args: ["run", "-i"], line: "error: option '-i, --input <dataset>' argument missing"},
        {
            what: "a value outside the choices",
            args: ["run", "-i", "a.jsonl", "--format", "xml"],
            line: "error: option '--format <format>' argument 'xml' is invalid. Allowed choices are jsonl, parquet, arrow."
        },
        {what: "an unknown command", args: ["annotate"], line: "error: unknown command 'annotate'"},
        {
            what: "a bad choice of another command",
            args: ["inspect", "x.csv", "--format", "xlsx"],
            line: expect.stringMatching(/^error: option '--format <format>' argument 'xlsx' is invalid\./u)
        }
    ])("$what: one line and the usage hint, exit 2", async ({args, line}) => {
        const result = await runCli(args);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr.split("\n").filter((l) => l !== "")).toEqual([line, "(run with --help for usage)"]);
    });

    test("--help and --version still exit 0", async () => {
        expect((await runCli(["--version"])).code).toBe(0);
        expect((await runCli(["run", "--help"])).code).toBe(0);
    });
});
