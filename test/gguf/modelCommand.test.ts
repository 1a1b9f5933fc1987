import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, afterEach, describe, expect, test, vi} from "vitest";
import {Command} from "commander";
import {readGgufFileInfo} from "node-llama-cpp";
import {registerModelCommand} from "../../src/cli/commands/model.js";
import {InvalidOptionError} from "../../src/AirlabelError.js";

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "airlabel-"));
afterAll(() => fs.rmSync(tempDir, {recursive: true, force: true}));
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]) {
    const program = new Command().name("airlabel").exitOverride();
    registerModelCommand(program);

    let stdout = "";
    let stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
    });

    try {
        await program.parseAsync(args, {from: "user"});
    } finally {
        vi.restoreAllMocks();
    }
    return {stdout, stderr};
}

describe("airlabel model create", () => {
    test("writes the model, prints a summary to stderr and the result as JSON to stdout", async () => {
        const output = path.join(tempDir, "cli.gguf");
        const {stdout, stderr} = await run([
            "model",
            "create",
            "--output",
            output,
            "--parameters",
            "300K",
            "--type",
            "q8_0",
            "--seed",
            "5",
            "--context-length",
            "2048",
            "--no-chat-template",
            "--json"
        ]);

        const result = JSON.parse(stdout);
        expect(result).toMatchObject({path: output, type: "q8_0", shape: {contextLength: 2048}});
        expect(Math.abs(result.parameters - 300_000) / 300_000).toBeLessThan(0.1);
        expect(result.bytes).toBe(fs.statSync(output).size);
        expect(stderr.trim().split("\n")).toHaveLength(1);
        expect(stderr).toMatch(/^Created .*cli\.gguf: [\d,]+ parameters, q8_0/);

        const info = await readGgufFileInfo(output, {logWarnings: false});
        expect(info.metadata.tokenizer.chat_template).toBeUndefined();
        expect(info.metadata.llama?.context_length).toBe(2048);
        expect(info.metadata.general.file_type).toBe(7);
    });

    test("without --json prints nothing to stdout", async () => {
        const output = path.join(tempDir, "quiet.gguf");
        const {stdout, stderr} = await run(["model", "create", "-o", output, "-p", "200000"]);
        expect(stdout).toBe("");
        expect(stderr).toContain("f16");
        expect(fs.existsSync(output)).toBe(true);
    });

    test("rejects bad options with exact messages", async () => {
        const output = path.join(tempDir, "bad.gguf");
        const cases: [string[], string][] = [
            [["--parameters", "lots"], "--parameters must be a positive count such as 1M or 250000"],
            [["--parameters", "0"], "--parameters must be a positive count such as 1M or 250000"],
            [["--parameters", "1000"], "--parameters must be from 150K to 20B, got 1000"],
            [["--type", "q4_0"], "--type must be one of f16, q8_0, f32"],
            [["--seed", "-3"], "--seed must be a non-negative integer"],
            [["--seed", "1.5"], "--seed must be a non-negative integer"],
            [["--context-length", "0"], "--context-length must be a positive integer"]
        ];

        for (const [args, message] of cases) {
            const attempt = run(["model", "create", "--output", output, ...args]);
            await expect(attempt, args.join(" ")).rejects.toThrow(InvalidOptionError);
            await expect(attempt, args.join(" ")).rejects.toThrow(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
        }
        await expect(run(["model", "create"])).rejects.toThrow("--output is required: pass the .gguf file to write, e.g. --output models/test.gguf");
        expect(fs.existsSync(output)).toBe(false);
    });

    test("help shows an example", () => {
        const program = new Command().name("airlabel");
        registerModelCommand(program);
        const create = program.commands.find((command) => command.name() === "model")!.commands.find((command) => command.name() === "create")!;

        let help = "";
        create.configureOutput({writeOut: (text) => (help += text)});
        create.outputHelp();
        expect(help).toContain("$ airlabel model create --output models/test.gguf");
        expect(help).toContain("--no-chat-template");
    });
});
