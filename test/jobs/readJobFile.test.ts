import fs from "node:fs";
import path from "node:path";
import {Command} from "commander";
import {describe, expect, it} from "vitest";
import {addRunOptions} from "../../src/cli/jobOptions.js";
import {jobSchemaPath, readJobFile} from "../../src/jobs/readJobFile.js";
import {repoRoot, tempDir} from "../support/fixtures.js";

function write(name: string, text: string): string {
    const file = path.join(tempDir(), name);
    fs.writeFileSync(file, text);
    return file;
}

describe("readJobFile", () => {
    it("accepts today's single-step job files and the shipped examples", () => {
        for (const file of ["examples/classify/job.yaml", "examples/classify/job.json"])
            expect(readJobFile(path.join(repoRoot, file))).toMatchObject({input: "examples/demo/reviews.jsonl", maxTokens: 48});
        const env = {AIRLABEL_MODEL: "a.gguf", AIRLABEL_MODEL_B: "b.gguf", AIRLABEL_JUDGE_MODEL: "j.gguf"};
        for (const example of fs.readdirSync(path.join(repoRoot, "examples"))) {
            const file = path.join(repoRoot, "examples", example, "job.yaml");
            if (fs.existsSync(file)) expect(() => readJobFile(file, env)).not.toThrow();
        }
    });

    it("names the file and the path of the bad key in one line", () => {
        const steps = "input: in.jsonl\noutput: out\nsteps:\n  - name: a\n    model: m.gguf\n  - name: b\n    model: m.gguf\n";
        expect(() => readJobFile(write("job.yaml", `${steps}    schema: 3\n`))).toThrow(/job\.yaml: steps\[1\]\.schema: must be string$/u);
        expect(() => readJobFile(write("job.yaml", `${steps}    modle: x\n`))).toThrow(
            /job\.yaml: steps\[1\]: unknown key "modle"; see schemas\/job\.schema\.json/u
        );
        expect(() => readJobFile(write("job.yaml", "input: in.jsonl\nsteps:\n  - model: m.gguf\n"))).toThrow(/job\.yaml: steps\[0\]: missing "name"/u);
        expect(() => readJobFile(write("job.json", JSON.stringify({input: "x", sort: "random"})))).toThrow(
            /job\.json: sort: must be one of "shortest", "longest", "none"/u
        );
        expect(() => readJobFile(write("job.yaml", "models:\n  - {name: a, model: x.gguf, temprature: 1}\n"))).toThrow(
            /job\.yaml: models\[0\]: unknown key "temprature"/u
        );
        expect(() => readJobFile(write("job.yaml", "maxTokens: many\n"))).toThrow(/job\.yaml: maxTokens: must be integer$/u);
        expect(() => readJobFile(write("job.yaml", "- a\n"))).toThrow(/must hold an object of options/u);
        expect(() => readJobFile(write("job.yaml", "a: [\n"))).toThrow(/job file .*job\.yaml cannot be parsed/u);
        expect(() => readJobFile(path.join(tempDir(), "none.yaml"))).toThrow(/job file .*none\.yaml not found; check the path/u);
    });

    it("takes few-shot examples as a file's path or inline rows", () => {
        expect(readJobFile(write("job.yaml", "examples: examples.jsonl\nexamplesAnswerColumn: label\n"))).toEqual({
            examples: "examples.jsonl",
            examplesAnswerColumn: "label"
        });
        expect(readJobFile(write("job.yaml", "examples:\n  - {text: great, answer: positive}\n"))).toEqual({examples: [{text: "great", answer: "positive"}]});
        expect(() => readJobFile(write("job.yaml", "examples: [great]\n"))).toThrow(/job\.yaml: examples\[0\]: must be object$/u);
    });

    it("replaces ${VAR} from the environment, with defaults and $${ for a literal", () => {
        const file = write("job.yaml", 'model: ${M}\noutput: ${OUT:-out/default}\nprompt: "cost: $${price}"\n');
        expect(readJobFile(file, {M: "/models/x.gguf"})).toEqual({model: "/models/x.gguf", output: "out/default", prompt: "cost: ${price}"});
        expect(() => readJobFile(file, {})).toThrow(/job\.yaml: model: environment variable M is not set; set it/u);
    });

    it("the published schema knows every option of `airlabel run`", () => {
        const schema = JSON.parse(fs.readFileSync(jobSchemaPath, "utf8")) as {
            properties: Record<string, unknown>;
            definitions: {step: {properties: Record<string, unknown>}};
        };
        const names = addRunOptions(new Command("run"))
            .options.map((option) => option.attributeName())
            .filter((name) => name !== "config")
            // --param key=value is the job file's generation: map
            .map((name) => (name === "param" ? "generation" : name));
        expect(names.filter((name) => !(name in schema.properties))).toEqual([]);
        const stepNames = names.filter(
            (name) =>
                ![
                    "input",
                    "output",
                    "quiet",
                    "json",
                    "failOnErrors",
                    "stopGraceMs",
                    "overwrite",
                    "retryFailed",
                    "idColumn",
                    "changedRows",
                    "oneToMany"
                ].includes(name)
        );
        expect(stepNames.filter((name) => !(name in schema.definitions.step.properties))).toEqual([]);
    });
});
