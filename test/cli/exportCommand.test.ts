import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {tableFromIPC} from "apache-arrow";
import {OutputStore} from "../../src/output/OutputStore.js";
import {runCli, tempDir} from "../support/fixtures.js";

const IDENTITY = {input: "a".repeat(64), template: "b".repeat(64), schema: "c".repeat(64), model: "d".repeat(64)};
const GENERATION_ORDER = [4, 1, 6, 0, 3, 5, 2];
const FAILED_IDX = 3;

/** A real run dir written by OutputStore: shards of 2 rows in generation order, idx 3 failed. */
async function makeRun(complete: boolean, count = GENERATION_ORDER.length): Promise<string> {
    const dir = path.join(tempDir(), "run");
    const store = await OutputStore.open({dir, format: "parquet", shardSize: 2, identity: IDENTITY, meta: {totalRows: GENERATION_ORDER.length}});
    for (const idx of GENERATION_ORDER.slice(0, count)) {
        if (idx === FAILED_IDX)
            await store.fail({
                idx,
                stage: "validate",
                reason: "no valid JSON after 3 attempts",
                response: "{",
                finishReason: "length",
                attempts: 3,
                model: "m.gguf"
            });
        else
            await store.add({
                idx,
                columns: {text: `text ${idx}`},
                annotation: {label: `L${idx}`},
                finishReason: "stop",
                promptTokens: 5,
                completionTokens: 3,
                attempts: 1,
                model: "m.gguf"
            });
    }
    if (complete) await store.markComplete({});
    else await store.commit();
    await store.close();
    return dir;
}

const readJsonl = (file: string) =>
    fs
        .readFileSync(file, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);

let complete: string;
beforeAll(async () => {
    complete = await makeRun(true);
});

describe("airlabel export (CLI)", () => {
    test("writes one file in input order and prints the summary line on stderr, nothing on stdout", async () => {
        const target = path.join(tempDir(), "out.jsonl");
        const result = await runCli(["export", complete, "--to", target]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe(`airlabel: exported 6 rows (1 failed rows excluded) in input order to ${target}\n`);
        const rows = readJsonl(target);
        expect(rows.map((row) => row.idx)).toEqual([0, 1, 2, 4, 5, 6]);
        expect(rows.map((row) => (row.annotation as {label: string}).label)).toEqual(["L0", "L1", "L2", "L4", "L5", "L6"]);
    });

    test("--json prints the result on stdout; --include-errors keeps failed rows with an error column", async () => {
        const target = path.join(tempDir(), "all.arrow");
        const result = await runCli(["export", complete, "--to", target, "--include-errors", "--json"]);
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toEqual({rows: 7, errors: 1, file: target, format: "arrow", complete: true});
        expect(result.stderr).toBe(`airlabel: exported 7 rows (1 failed rows included, with an error column) in input order to ${target}\n`);
        const table = tableFromIPC(fs.readFileSync(target));
        expect(Array.from(table.getChild("idx")!.toArray() as BigInt64Array, Number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(table.getChild("error")!.get(3)).toBe("no valid JSON after 3 attempts");
        expect(table.getChild("annotation")!.get(3)).toBeNull();
    });

    test("--format overrides the extension; an extension naming no format exits 2 with a one-line message", async () => {
        const out = tempDir();
        const forced = await runCli(["export", complete, "--to", path.join(out, "rows.txt"), "--format", "jsonl"]);
        expect(forced.code, forced.stderr).toBe(0);
        expect(readJsonl(path.join(out, "rows.txt")).map((row) => row.idx)).toEqual([0, 1, 2, 4, 5, 6]);

        const target = path.join(out, "rows.dat");
        const bad = await runCli(["export", complete, "--to", target]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toBe(
            `airlabel: cannot tell the export format of ${target} from its extension (.dat); name it .jsonl, .parquet, .arrow or .csv, pass --format, or pass --to argilla|prodigy|label-studio|jsonl|parquet|arrow|csv with --out\n`
        );
        expect(fs.existsSync(target)).toBe(false);
    });

    test("an incomplete run exits 1 saying how many rows are missing; --allow-incomplete exports it", async () => {
        const dir = await makeRun(false, 4);
        const target = path.join(tempDir(), "partial.parquet");
        const refused = await runCli(["export", dir, "--to", target, "--json"]);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe("");
        expect(refused.stderr).toBe(
            `airlabel: ${dir}/ holds an incomplete run (3 of 7 rows are still missing); re-run the same \`airlabel run\` command to finish it, or pass --allow-incomplete to export the rows committed so far\n`
        );
        expect(fs.existsSync(target)).toBe(false);

        const allowed = await runCli(["export", dir, "--to", target, "--allow-incomplete", "--json"]);
        expect(allowed.code, allowed.stderr).toBe(0);
        expect(JSON.parse(allowed.stdout)).toMatchObject({rows: 4, errors: 0, format: "parquet", complete: false});
        expect(allowed.stderr).toMatch(/^airlabel: exported 4 rows \(0 failed rows excluded\) in input order to .*partial\.parquet; the run is incomplete/);
    });

    test("a dir with no run and a missing --to fail with a message; --help shows examples", async () => {
        const empty = tempDir();
        const none = await runCli(["export", empty, "--to", path.join(empty, "x.jsonl")]);
        expect(none.code).toBe(1);
        expect(none.stderr).toMatch(/^airlabel: .* holds no airlabel output \(no manifest\.json\)/);

        const noTo = await runCli(["export", complete]);
        expect(noTo.code).not.toBe(0);
        expect(noTo.stderr).toContain("--to <target>");

        const help = await runCli(["export", "--help"]);
        expect(help.code).toBe(0);
        expect(help.stdout).toContain("Examples:");
        expect(help.stdout).toContain("airlabel export out/reviews --to reviews.annotated.parquet");
    });
    test("--to csv writes a CSV table, --to FILE.csv too; --to prodigy writes tasks to <dir>/export/prodigy.jsonl by default", async () => {
        const out = tempDir();
        const csv = await runCli(["export", complete, "--to", "csv", "--out", path.join(out, "rows.csv"), "--json"]);
        expect(csv.code, csv.stderr).toBe(0);
        expect(csv.stderr).toBe(`airlabel: exported 6 rows (1 failed rows excluded) in input order to ${path.join(out, "rows.csv")}\n`);
        expect(JSON.parse(csv.stdout)).toMatchObject({to: "csv", records: 6, skipped: 1, comparison: false, complete: true});
        const lines = fs.readFileSync(path.join(out, "rows.csv"), "utf8").split("\r\n");
        expect(lines[0]).toBe("idx,text,annotation.label,finish_reason,prompt_tokens,completion_tokens,attempts,model");
        expect(lines[1]).toBe("0,text 0,L0,stop,5,3,1,m.gguf");
        const byName = await runCli(["export", complete, "--to", path.join(out, "same.csv")]);
        expect(byName.code, byName.stderr).toBe(0);
        expect(fs.readFileSync(path.join(out, "same.csv"), "utf8")).toBe(fs.readFileSync(path.join(out, "rows.csv"), "utf8"));

        const prodigy = await runCli(["export", complete, "--to", "prodigy", "--choices", "L0,L1,L2,L4,L5,L6"]);
        const choicesHash = crypto
            .createHash("sha256")
            .update(JSON.stringify({type: "string", enum: ["L0", "L1", "L2", "L4", "L5", "L6"]}))
            .digest("hex")
            .slice(0, 16);
        expect(prodigy.code, prodigy.stderr).toBe(0);
        const file = path.join(complete, "export", "prodigy.jsonl");
        // the fixture's recorded schema hash is not the hash of these choices: export says so, and goes on
        expect(prodigy.stderr).toBe(
            `airlabel: note: the --choices given is not the answer schema the run recorded (sha256 ${choicesHash} vs the run's cccccccccccccccc); the labels shown may not be the run's: pass the run's own --schema, --choices or --config\n` +
                `airlabel: exported 6 Prodigy tasks (field label: labels L0, L1, L2, L4, L5, L6; 1 unreadable row left out, with no text to show) to ${file}\n`
        );
        expect(readJsonl(file).map((task) => [task.text, task.accept])).toEqual([
            ["text 0", ["L0"]],
            ["text 1", ["L1"]],
            ["text 2", ["L2"]],
            ["text 4", ["L4"]],
            ["text 5", ["L5"]],
            ["text 6", ["L6"]]
        ]);
    });

    test("--to argilla takes the labels from the run's job file (--config) and writes the from_disk folder; --guidelines becomes its guidelines", async () => {
        const out = tempDir();
        const schema = path.join(out, "schema.json");
        fs.writeFileSync(schema, JSON.stringify({type: "object", properties: {label: {enum: ["L0", "L1", "L2", "L3", "L4", "L5", "L6"]}}}));
        const job = path.join(out, "job.yaml");
        fs.writeFileSync(job, `input: data.jsonl\nschema: ${schema}\nprompt: "{text}"\n`);
        const guidelines = path.join(out, "guidelines.md");
        fs.writeFileSync(guidelines, "# Labels\n\nPick the label that fits the text.\n");
        const folder = path.join(out, "argilla");
        const result = await runCli(["export", complete, "--to", "argilla", "--config", job, "--guidelines", guidelines, "--out", folder]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr.split("\n")[1]).toBe(
            `airlabel: exported 6 Argilla records (field label: labels L0, L1, L2, L3, L4, L5, L6; 1 unreadable row left out, with no text to show) to the folder ${folder} (load it with rg.Dataset.from_disk)`
        );
        const settings = JSON.parse(fs.readFileSync(path.join(folder, ".argilla", "settings.json"), "utf8")) as {
            guidelines: string;
            questions: {settings: {options: {value: string}[]}}[];
        };
        expect(settings.questions[0]!.settings.options.map((option) => option.value)).toEqual(["L0", "L1", "L2", "L3", "L4", "L5", "L6"]);
        expect(settings.guidelines).toBe("# Labels\n\nPick the label that fits the text.\n");
        const dataset = JSON.parse(fs.readFileSync(path.join(folder, ".argilla", "dataset.json"), "utf8")) as {guidelines: string};
        expect(dataset.guidelines).toBe(settings.guidelines);
        const records = JSON.parse(fs.readFileSync(path.join(folder, "records.json"), "utf8")) as {id: string}[];
        expect(records.map((record) => record.id)).toEqual(["0", "1", "2", "4", "5", "6"]);
        // the old layout's file name is refused as a folder; --guidelines with another target is refused
        fs.writeFileSync(path.join(out, "argilla.json"), "[]");
        const file = await runCli(["export", complete, "--to", "argilla", "--out", path.join(out, "argilla.json")]);
        expect(file.code).toBe(2);
        expect(file.stderr).toBe(
            `airlabel: --out ${path.join(out, "argilla.json")} is a file; the Argilla export is a folder (records.json + .argilla/), so name a folder\n`
        );
        const notArgilla = await runCli(["export", complete, "--to", "prodigy", "--guidelines", guidelines]);
        expect(notArgilla.code).toBe(2);
        expect(notArgilla.stderr).toBe("airlabel: --guidelines is for --to argilla (the dataset's guidelines); leave it out with --to prodigy\n");
        const missing = await runCli(["export", complete, "--to", "argilla", "--guidelines", path.join(out, "nope.md")]);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toBe(`airlabel: --guidelines ${path.join(out, "nope.md")} cannot be read (ENOENT); check the path\n`);
        const badOut = await runCli(["export", complete, "--to", "argilla", "--out", path.join(complete, "data", "x.json")]);
        expect(badOut.code).toBe(2);
        expect(badOut.stderr).toMatch(
            /^airlabel: --out .*x\.json would overwrite part of the run in .*; choose a file outside its data\/, errors\/, models\/ and reviews\/ dirs\n$/u
        );
    });
});
