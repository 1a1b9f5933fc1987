import {describe, expect, test} from "vitest";
import {PromptTemplate, TemplateError} from "../../src/prepare/PromptTemplate.js";

describe("PromptTemplate", () => {
    test("renders fields, nested fields, literal braces and non-string values", () => {
        const template = new PromptTemplate("Review of {product.name} ({product.year}): {text} {{json}} tags={tags} none={missing}");
        expect(template.fields).toEqual(["product.name", "product.year", "text", "tags", "missing"]);
        expect(template.render({product: {name: "Kettle", year: 2024}, text: 'Great "kettle"', tags: ["a", 1], missing: null}, "row 1")).toBe(
            'Review of Kettle (2024): Great "kettle" {json} tags=["a",1] none='
        );
    });

    test("a placeholder's text is inserted as is (no re-expansion of braces in data)", () => {
        expect(new PromptTemplate("{a}").render({a: "{b}"}, "row 1")).toBe("{b}");
    });

    test("a missing column names the template, the field and the columns available", () => {
        const template = new PromptTemplate("Classify: {body}", "template t.txt");
        expect(() => template.checkColumns(["id", "text"])).toThrow(
            new TemplateError('template t.txt uses {body}, but the input has no column "body"; columns available: id, text')
        );
        expect(() => template.render({id: 1, text: "x"}, "data.jsonl line 3")).toThrow(
            "template t.txt uses {body}, which data.jsonl line 3 does not have; columns available: id, text"
        );
    });

    test("a missing nested field names its parent's fields", () => {
        expect(() => new PromptTemplate("{user.age}", "t").render({user: {name: "x"}}, "row 2")).toThrow(
            "t uses {user.age}, which row 2 does not have; fields of user available: name"
        );
    });

    test("malformed templates are rejected with the position", () => {
        expect(() => new PromptTemplate("Hello {name", "t")).toThrow('t has an unclosed "{" at character 7; write "{{" for a literal brace');
        expect(() => new PromptTemplate("a } b", "t")).toThrow('t has a stray "}" at character 3; write "}}" for a literal brace');
        expect(() => new PromptTemplate("x {a..b}", "t")).toThrow('t has an invalid placeholder "{a..b}" at character 3; use {column} or {column.field}');
    });
});
