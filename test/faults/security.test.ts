import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {OutputStore} from "../../src/output/OutputStore.js";
import {ManifestCorruptError, OutputDirError} from "../../src/output/outputErrors.js";
import {PromptTemplate, TemplateError} from "../../src/prepare/PromptTemplate.js";
import {tempDir} from "../support/fixtures.js";
import {faultJob, runAirlabel, stderrLines, type FaultJob} from "./harness.js";

// API keys: test/backends/apiKeySecurity.test.ts (never written to any file or stream, redacted from server echoes).
const identity = {input: "a".repeat(16), template: "b".repeat(16), model: "m"};

describe("templates cannot run code or reach outside the row", () => {
    test("{__proto__}, {constructor.name}, {toString}, {__proto__.polluted} {text.length}, {hasOwnProperty} are plain missing fields", () => {
        const row = {text: "hello"};
        for (const field of ["__proto__", "constructor.name", "toString", "__proto__.polluted", "text.length", "hasOwnProperty"]) {
            const template = new PromptTemplate(`x {${field}} y`, "--prompt");
            expect(() => template.render(row, "in.jsonl line 1"), field).toThrow(TemplateError);
            expect(() => template.render(row, "in.jsonl line 1"), field).toThrow(
                new RegExp(`^--prompt uses \\{${field.replace(/\./gu, "\\.")}\\}, which in\\.jsonl line 1 does not have; `, "u")
            );
            if (!field.startsWith("text.")) expect(() => template.checkColumns(["text"]), field).toThrow(TemplateError);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    test("a row's own __proto__ key is a plain field; code-like text in templates and rows stays text", () => {
        const row = JSON.parse('{"__proto__": {"polluted": "row value"}, "text": "${process.exit(1)} {constructor}"}') as Record<string, unknown>;
        expect(new PromptTemplate("{__proto__.polluted}|{text}|${text}|{{constructor.constructor('return process')()}}").render(row, "row 0")).toBe(
            "row value|${process.exit(1)} {constructor}|$${process.exit(1)} {constructor}|{constructor.constructor('return process')()}"
        );
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
});

describe("output paths stay inside the output dir", () => {
    let job: FaultJob;
    beforeAll(async () => {
        job = await faultJob(3);
    });

    test("a manifest naming a shard outside the dir (.., absolute) is refused as corrupt; the file outside is not read or removed", async () => {
        for (const file of ["../secret.jsonl", "/etc/hostname", "data/../../secret.jsonl", "data/part-00000.jsonl/../../x"]) {
            const root = tempDir();
            const dir = path.join(root, "out");
            const store = await OutputStore.open({dir, identity});
            await store.close();
            const secret = path.join(root, "secret.jsonl");
            fs.writeFileSync(secret, '{"idx":0}\n');
            const manifestFile = path.join(dir, "manifest.json");
            const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Record<string, unknown>;
            manifest.shards = [
                {seq: 0, rows: 1, data: {file, rows: 1, sha256: "0".repeat(64), bytes: 10}, errors: null, committedAt: "2026-01-01T00:00:00.000Z"}
            ];
            fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
            fs.rmSync(path.join(dir, "manifest.prev.json"), {force: true});
            const error = await OutputStore.open({dir, identity}).catch((e: unknown) => e);
            expect(error, file).toBeInstanceOf(ManifestCorruptError);
            expect((error as Error).message).toMatch(/manifest\.json is corrupt \(malformed shards\[0\]\)/u);
            expect(fs.readFileSync(secret, "utf8")).toBe('{"idx":0}\n');
        }
    });

    test("a data/ (or errors/) that is a symbolic link out of the output dir is refused; nothing is written there", async () => {
        for (const sub of ["data", "errors"]) {
            const root = tempDir();
            const outside = path.join(root, "elsewhere");
            fs.mkdirSync(outside);
            const dir = path.join(root, "out");
            fs.mkdirSync(dir);
            fs.symlinkSync(outside, path.join(dir, sub));
            await expect(OutputStore.open({dir, identity})).rejects.toThrow(
                new OutputDirError(
                    `${dir}/${sub} is a symbolic link; airlabel writes only real directories inside the output dir: remove ${dir}/${sub}, or use another --output`
                )
            );
            expect(fs.readdirSync(outside)).toEqual([]);
        }
    });

    test("the CLI refuses the same in one line, exit 1", async () => {
        const root = tempDir();
        const outside = path.join(root, "elsewhere");
        fs.mkdirSync(outside);
        const output = path.join(root, "out");
        fs.mkdirSync(output);
        fs.symlinkSync(outside, path.join(output, "data"));
        const run = await runAirlabel(job.args(output, "-q"));
        expect(run.code, run.stderr).toBe(1);
        expect(stderrLines(run)).toEqual([
            `airlabel: ${output}/data is a symbolic link; airlabel writes only real directories inside the output dir: remove ${output}/data, or use another --output`
        ]);
        expect(fs.readdirSync(outside)).toEqual([]);
    });
});
