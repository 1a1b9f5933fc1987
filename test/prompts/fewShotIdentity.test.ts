import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {generatedModel, runCli, tempDir, writeJsonl} from "../support/fixtures.js";

// The examples are part of what a run is, by content: the same examples resume (from a job file or flags alike), an
// edited examples file is refused like an edited template and prepares again, and the output dir records them, so
// `run --from` runs it again after the file is gone.

const read = (file: string) =>
    JSON.parse(fs.readFileSync(file, "utf8")) as {identity: Record<string, string>; meta: {config: {options: Record<string, unknown>}}};
const shards = (out: string) => fs.readdirSync(path.join(out, "data")).map((name) => fs.readFileSync(path.join(out, "data", name), "utf8"));

test("the examples' content is part of the run identity, the prepare cache key and the recorded config", async () => {
    const model = await generatedModel();
    const dir = tempDir();
    const input = writeJsonl(
        path.join(dir, "in.jsonl"),
        ["the soup was cold", "lovely staff", "too loud", "fine"].map((text) => ({text}))
    );
    const examples = [
        {text: "I loved it", label: "positive"},
        {text: "Broke in a day", label: "negative"}
    ];
    const examplesFile = writeJsonl(path.join(dir, "examples.jsonl"), examples);
    const output = path.join(dir, "out");
    const job = path.join(dir, "job.yaml");
    fs.writeFileSync(
        job,
        [
            `input: ${input}`,
            `model: ${model}`,
            `output: ${output}`,
            'prompt: "Review: {text}"',
            "choices: positive,negative",
            `examples: ${examplesFile}`,
            "examplesAnswerColumn: label",
            "maxTokens: 16",
            "parallel: 1",
            "gpu: cpu",
            ""
        ].join("\n")
    );
    const first = await runCli(["run", job, "-q", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({okRows: 4, complete: true});
    const manifest = read(path.join(output, "manifest.json"));
    expect(manifest.identity.examples).toMatch(/^[0-9a-f]{16}$/u);
    // the recorded config holds the examples themselves, not the file's name
    expect(manifest.meta.config.options).toMatchObject({examples, examplesAnswerColumn: "label"});

    // the same options as flags: the same run (resumed, nothing to do)
    const flags = ["run", "-i", input, "-m", model, "-o", output, "-p", "Review: {text}", "--choices", "positive,negative", "--max-tokens", "16"];
    const withFlags = [...flags, "--examples", examplesFile, "--examples-answer-column", "label", "--parallel", "1", "--gpu", "cpu", "-q", "--json"];
    const resumed = await runCli(withFlags);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({doneRows: 0, resumedRows: 4, complete: true});

    // run --from: the examples file is gone, the output dir alone is enough
    fs.renameSync(examplesFile, `${examplesFile}.away`);
    const again = path.join(dir, "again");
    const rerun = await runCli(["run", "--from", output, "-o", again, "-q", "--json"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({okRows: 4, complete: true});
    expect(read(path.join(again, "manifest.json")).identity).toEqual(manifest.identity);
    expect(shards(again)).toEqual(shards(output));
    fs.renameSync(`${examplesFile}.away`, examplesFile);

    // the prepare stage: cached while the examples are the same, prepared again once they change
    const prepareArgs = ["prepare", "-i", input, "-m", model, "-o", path.join(dir, "prepared"), "-p", "Review: {text}"];
    const prepareWith = async () => {
        const run = await runCli([...prepareArgs, "--examples", examplesFile, "--examples-answer-column", "label", "--json"]);
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout) as {fromCache: boolean; promptTokens: {total: number}};
    };
    const prepared = await prepareWith();
    expect(prepared.fromCache).toBe(false);
    expect((await prepareWith()).fromCache).toBe(true);

    // an example edited: the run refuses to resume, naming the examples; the prepare stage prepares again
    writeJsonl(examplesFile, [examples[0], {...examples[1], text: "Broke in a day, twice"}]);
    const edited = await runCli(withFlags);
    expect({code: edited.code, stderr: edited.stderr}).toEqual({
        code: 1,
        stderr: expect.stringMatching(
            new RegExp(
                `^airlabel: output dir ${output}/ holds a run with a different examples \\(was [0-9a-f]{8}, now [0-9a-f]{8}\\); re-run with --overwrite to start over, or use another --output\\n$`,
                "u"
            )
        )
    });
    const reprepared = await prepareWith();
    expect(reprepared.fromCache).toBe(false);
    expect(reprepared.promptTokens.total).toBeGreaterThan(prepared.promptTokens.total);
});
