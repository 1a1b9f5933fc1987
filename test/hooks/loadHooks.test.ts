import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {HooksError, loadHooks} from "../../src/hooks/loadHooks.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {tempDir, writeJsonl} from "../support/fixtures.js";

let dir: string;
beforeAll(() => {
    dir = tempDir();
});

function module(name: string, source: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source);
    return file;
}

async function loadError(file: string): Promise<HooksError> {
    try {
        await loadHooks(file);
    } catch (err) {
        expect(err).toBeInstanceOf(HooksError);
        expect((err as Error).message).not.toContain("\n");
        return err as HooksError;
    }
    throw new Error(`expected ${file} to be refused`);
}

describe("loadHooks", () => {
    test("loads the named hooks it exports, with the file's absolute path and sha256", async () => {
        const file = module(
            "ok.mjs",
            "export function validate(row, answer) { return answer !== 'bad'; }\nexport async function parse(row, answer) { return {answer}; }\n"
        );
        const hooks = await loadHooks(path.relative(process.cwd(), file));
        expect(hooks.file).toBe(file);
        expect(hooks.sha256).toMatch(/^[0-9a-f]{64}$/u);
        expect(hooks.prompt).toBeUndefined();
        expect(hooks.validate?.({}, "bad")).toBe(false);
        expect(await hooks.parse?.({}, 1)).toEqual({answer: 1});
    });

    test("a default-exported object of hooks is accepted", async () => {
        const hooks = await loadHooks(module("default.mjs", "export default {prompt: (row) => `Q: ${row.q}`};\n"));
        expect(await hooks.prompt?.({q: "why"})).toBe("Q: why");
    });

    test("a changed file is imported afresh (not the first version from the module cache)", async () => {
        const file = module("changing.mjs", "export const prompt = () => 'one';\n");
        expect(await (await loadHooks(file)).prompt?.({})).toBe("one");
        fs.writeFileSync(file, "export const prompt = () => 'two';\n");
        expect(await (await loadHooks(file)).prompt?.({})).toBe("two");
    });

    test.each([
        ["missing.mjs", null, /^hooks file .*missing\.mjs not found; check the --hooks path$/u],
        ["syntax.mjs", "export function validate( {\n", /^hooks file .*syntax\.mjs cannot be imported \(.*\); it must be an ES module/u],
        [
            "none.mjs",
            "export const version = 1;\n",
            /^hooks file .*none\.mjs exports "version", which is not a hook; a hooks module exports only row, prompt, validate and parse/u
        ],
        ["empty.mjs", "// nothing\n", /^hooks file .*empty\.mjs exports none of row, prompt, validate, parse; export at least one/u],
        ["typo.mjs", "export function validat() {}\nexport function parse() {}\n", /exports "validat", which is not a hook/u],
        [
            "notfn.mjs",
            "export const validate = true;\n",
            /^hooks file .*notfn\.mjs: export "validate" is a boolean, not a function; export function validate\(row, answer\)/u
        ],
        ["throws.mjs", "throw new Error('top-level failure');\n", /cannot be imported \(Error: top-level failure\)/u]
    ])("%s is refused with one line naming the file", async (name, source, message) => {
        const file = source === null ? path.join(dir, name) : module(name, source);
        expect((await loadError(file)).message).toMatch(message);
    });

    test("annotate checks the hooks file before it looks at the model", async () => {
        const input = writeJsonl(path.join(dir, "in.jsonl"), [{text: "a"}]);
        await expect(
            annotate({input, model: path.join(dir, "no-such-model.gguf"), output: path.join(dir, "out"), hooks: path.join(dir, "missing.mjs")})
        ).rejects.toThrow(HooksError);
    });
});
