import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {jobFixture, runCli} from "../support/fixtures.js";

describe("--max-tokens above what the context leaves", () => {
    test.each([
        {
            args: ["--max-tokens", "5000"],
            line: (model: string) =>
                `airlabel: --max-tokens 5000 leaves no room for a prompt in the model's context of 4096 tokens (${path.basename(model)}); lower --max-tokens below 4096`
        },
        {
            args: ["--max-tokens", "4096"],
            line: (model: string) =>
                `airlabel: --max-tokens 4096 leaves no room for a prompt in the model's context of 4096 tokens (${path.basename(model)}); lower --max-tokens below 4096`
        },
        {
            args: ["--max-tokens", "200", "--context-size", "128"],
            line: () =>
                "airlabel: --max-tokens 200 leaves no room for a prompt in --context-size 128; lower --max-tokens below 128, or raise --context-size (up to 4096)"
        }
    ])("$args: refused before the run (exit 2, one line naming both numbers), no row written", async ({args, line}) => {
        const {model, dir, input} = await jobFixture([{text: "a"}, {text: "b"}]);
        const output = path.join(dir, "out");
        const result = await runCli(["run", "-i", input, "-m", model, "-o", output, "-p", "{text}", "--gpu", "cpu", ...args]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr.split("\n").filter((l) => l !== "")).toEqual([line(model)]);
        // nothing but the run's log, which says why it stopped
        expect(fs.readdirSync(output)).toEqual(["airlabel.log"]);
        expect(fs.readFileSync(path.join(output, "airlabel.log"), "utf8").trim().split("\n").at(-1)).toMatch(/ \[warning\] failed: .*--max-tokens/u);
    });
});
