import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {lockOutputDir} from "../../src/output/openOutputDir.js";
import {OutputLockedError} from "../../src/output/outputErrors.js";
import {readOutput} from "../../src/output/readOutput.js";
import {prodigyInputHash} from "../../src/files/prodigyInputHash.js";
import {annotate} from "../../src/pipeline/annotate.js";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// What Prodigy users do every week, in airlabel: --skip-empty (filter_empty), labels from a file (--label labels.txt),
// and the run's log in a file in its output dir, across resumes.

let model: string;
let dir: string;
beforeAll(async () => {
    model = await generatedModel();
    dir = tempDir();
});

describe("Prodigy habits", () => {
    test("--skip-empty: rows with an empty, whitespace-only, null or missing template field go to errors/ with that reason", async () => {
        const input = writeJsonl(path.join(dir, "empty.jsonl"), [
            {title: "a", text: "fine"},
            {title: "b", text: "   \n"},
            {title: "", text: "has text"},
            {title: "d", text: null},
            {title: "e"}
        ]);
        const output = path.join(dir, "empty");
        const result = await annotate({input, model, output, template: "{title}: {text}", maxTokens: 4, skipEmpty: true, skipInvalidRows: true});
        expect(result).toMatchObject({okRows: 1, failedRows: 4, complete: true});
        const {rows, errors} = await readOutput(output);
        expect(rows.map((row) => row.idx)).toEqual([0]);
        expect(errors.map((row) => [row.idx, row.stage, row.reason])).toEqual([
            [1, "prepare", 'field "text" is empty (--skip-empty)'],
            [2, "prepare", 'field "title" is empty (--skip-empty)'],
            [3, "prepare", 'field "text" is empty (--skip-empty)'],
            [4, "prepare", 'field "text" is empty (--skip-empty)']
        ]);
        // without it, the empty, blank and null fields are annotated like any other (the missing one fails the template)
        const plain = await runCli([
            "run",
            "-i",
            input,
            "-m",
            model,
            "-o",
            path.join(dir, "empty-plain"),
            "-p",
            "{title}: {text}",
            "--max-tokens",
            "4",
            "--skip-invalid-rows",
            "--json"
        ]);
        expect(JSON.parse(plain.stdout)).toMatchObject({okRows: 4, failedRows: 1});
    });

    test("--choices labels.txt reads one label per line (trimmed, blank lines dropped), for run and stats alike", async () => {
        const labels = path.join(dir, "labels.txt");
        fs.writeFileSync(labels, "positive\r\n  negative  \n\nneutral\n");
        const input = writeJsonl(path.join(dir, "labels.jsonl"), [{text: "good"}, {text: "bad"}]);
        const output = path.join(dir, "labels");
        const run = await runCli(["run", "-i", input, "-m", model, "-o", output, "-p", "{text}", "--choices", labels, "--max-tokens", "8"]);
        expect(run.code, run.stderr).toBe(0);
        const manifest = JSON.parse(fs.readFileSync(path.join(output, "manifest.json"), "utf8")) as {meta: {schema: unknown}};
        expect(manifest.meta.schema).toEqual({type: "string", enum: ["positive", "negative", "neutral"]});
        const stats = await runCli(["stats", output, "--choices", labels, "--json"]);
        expect(stats.code, stats.stderr).toBe(0);
        expect(JSON.parse(stats.stdout).field).toMatchObject({kind: "label", labels: ["positive", "negative", "neutral"]});
        // a list still works, and a file with one label is refused as before
        fs.writeFileSync(path.join(dir, "one.txt"), "only\n");
        const one = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "one"), "-p", "{text}", "--choices", path.join(dir, "one.txt")]);
        expect(one.code).toBe(2);
        expect(one.stderr).toContain("options.choices must be at least two distinct non-empty strings");
    });

    test("--rename: the template, --keep-columns and the output see the new names; a name that is not a column is refused", async () => {
        const input = writeJsonl(path.join(dir, "rename.jsonl"), [{review: "great", stars: 5, extra: 1}]);
        const output = path.join(dir, "rename");
        const args = ["run", "-i", input, "-m", model, "-o", output, "-p", "{text} ({rating})", "--max-tokens", "4", "--rename", "review:text,stars:rating"];
        const run = await runCli([...args, "--keep-columns", "text,rating"]);
        expect(run.code, run.stderr).toBe(0);
        expect((await readOutput(output)).rows).toEqual([expect.objectContaining({idx: 0, text: "great", rating: 5})]);
        expect(Object.keys((await readOutput(output)).rows[0]!)).not.toContain("review");
        const wrong = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "rename-wrong"), "-p", "{text}", "--rename", "body:text"]);
        expect(wrong.code).toBe(1);
        expect(wrong.stderr.trim()).toBe(`airlabel: --rename body:text: ${input} has no column "body"; columns available: review, stars, extra`);
        const clash = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "rename-clash"), "-p", "{text}", "--rename", "review:extra"]);
        expect(clash.stderr.trim()).toBe(`airlabel: --rename review:extra: ${input} already has a column "extra"; rename that one too, or choose another name`);
        const bad = await runCli(["run", "-i", input, "-m", model, "-o", path.join(dir, "rename-bad"), "-p", "{text}", "--rename", "review"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr.trim()).toBe("airlabel: --rename review: give old:new pairs separated by commas, e.g. --rename review:text,stars:rating");
    });

    test("the run's log goes to airlabel.log in the output dir, with timestamps, appended across a resume", async () => {
        const input = writeJsonl(
            path.join(dir, "log.jsonl"),
            Array.from({length: 8}, (_, i) => ({text: `row ${i}`}))
        );
        const output = path.join(dir, "log");
        const controller = new AbortController();
        const first = await annotate({
            input,
            model,
            output,
            template: "{text}",
            maxTokens: 4,
            parallel: 2,
            shardSize: 2,
            signal: controller.signal,
            onProgress: (progress) => {
                if (progress.doneRows >= 2) controller.abort();
            }
        });
        expect(first.stopped).toBe(true);
        await annotate({input, model, output, template: "{text}", maxTokens: 4, parallel: 2, shardSize: 2});
        const lines = fs.readFileSync(path.join(output, "airlabel.log"), "utf8").trim().split("\n");
        for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(info|warning)\] /u);
        const runs = lines.filter((line) => / \[info\] airlabel .*: run .* -> /u.test(line));
        expect(runs).toHaveLength(2);
        expect(lines.filter((line) => / \[info\] stopped: /u.test(line))).toHaveLength(1);
        expect(lines.some((line) => / \[info\] resuming: \d+ rows already committed/u.test(line))).toBe(true);
        expect(lines.at(-1)).toMatch(/ \[info\] done: \d+ answered, 0 failed, \d+ already committed, of 8 rows in [\d.]+ s$/u);
        // a run refused before the dir is its own (another process holds the lock) writes nothing there
        const other = path.join(dir, "locked");
        const lock = await lockOutputDir(other);
        await expect(annotate({input, model, output: other, template: "{text}", maxTokens: 4})).rejects.toBeInstanceOf(OutputLockedError);
        await lock.release();
        expect(fs.existsSync(path.join(other, "airlabel.log"))).toBe(false);
    });
});

describe("--exclude (Prodigy's exclude / filter_seen_before)", () => {
    test("rows seen in another output dir, its Prodigy or Argilla export or a dataset go to errors/; a text seen once excludes one row", async () => {
        const earlier = path.join(dir, "earlier");
        const first = writeJsonl(path.join(dir, "first.jsonl"), [{text: "alpha"}, {text: "beta"}, {text: "gamma"}]);
        expect((await runCli(["run", "-i", first, "-m", model, "-o", earlier, "-p", "{text}", "--max-tokens", "4", "-q"])).code).toBe(0);
        const prodigy = path.join(dir, "earlier.prodigy.jsonl");
        expect((await runCli(["export", earlier, "--to", "prodigy", "--out", prodigy])).code).toBe(0);
        // identical texts in one export are different inputs; the first occurrence hashes as the text alone
        const tasks = fs
            .readFileSync(prodigy, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as {text: string; _input_hash: number});
        expect(tasks.map((task) => task._input_hash)).toEqual(tasks.map((task) => prodigyInputHash(task.text, 0)));
        const argilla = path.join(dir, "earlier-argilla");
        expect((await runCli(["export", earlier, "--to", "argilla", "--out", argilla])).code).toBe(0);
        const second = writeJsonl(path.join(dir, "second.jsonl"), [{text: "beta"}, {text: "delta"}, {text: "beta"}, {text: "gamma"}]);
        for (const source of [earlier, prodigy, argilla, first]) {
            const output = path.join(dir, `excluded-${path.basename(source)}`);
            const run = await runCli(["run", "-i", second, "-m", model, "-o", output, "-p", "{text}", "--max-tokens", "4", "--exclude", source, "-q"]);
            expect(run.code, run.stderr).toBe(0);
            const {rows, errors} = await readOutput(output);
            expect(rows.map((row) => [row.idx, row.text])).toEqual([
                [1, "delta"],
                [2, "beta"]
            ]);
            expect(errors.map((row) => [row.idx, row.reason])).toEqual([
                [0, `seen before in ${source} (--exclude)`],
                [3, `seen before in ${source} (--exclude)`]
            ]);
        }
        const missing = await runCli(["run", "-i", second, "-m", model, "-o", path.join(dir, "x"), "-p", "{text}", "--exclude", path.join(dir, "nope.jsonl")]);
        expect(missing.code).toBe(1);
        expect(missing.stderr.trim()).toBe(
            `airlabel: --exclude ${path.join(dir, "nope.jsonl")}: not found; give an airlabel output dir, a Prodigy or Argilla export, or a dataset`
        );
    });
});
