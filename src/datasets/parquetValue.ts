import type {SchemaTree} from "hyparquet";
import {parseJsonText} from "../json/parseJsonText.js";
import {toPlainValue} from "./toPlainValue.js";

/**
 * The value of one field of a Parquet row as plain JS, from the value hyparquet assembled, following the schema:
 * the legacy layouts the Parquet spec keeps readable (its "backward-compatibility rules" for lists) come out as
 * lists, with empty lists kept apart from null ones:
 * - a repeated field outside a LIST group (`repeated int32 ids`, `repeated group points {...}`) is a list, never null;
 * - a LIST group whose repeated child is a leaf (2-level list) is a list of those leaves;
 * - a LIST group whose repeated child is a group of several fields, or named `array` or `<list>_tuple`,
 *   is a list of those groups (structs);
 * - otherwise the repeated child's single child is the element (the standard 3-level list).
 */
export function parquetFieldValue(node: SchemaTree, value: unknown): unknown {
    if (node.element.repetition_type === "REPEATED") {
        // hyparquet gives null for a repeated field with no values
        if (value === null || value === undefined) return [];
        return (value as unknown[]).map((item) => elementValue(node, item));
    }
    return elementValue(node, value);
}

/** The value of `node` as one element (its own repetition aside). */
function elementValue(node: SchemaTree, value: unknown): unknown {
    const {element, children} = node;
    if (children.length === 0) {
        if (element.logical_type?.type === "JSON" && typeof value === "string") return parseJsonText(value);
        return toPlainValue(value);
    }
    if (isList(node)) return listValue(node, value);
    if (value === null || value === undefined) return null;
    if (isMap(node) || element.logical_type?.type === "VARIANT") return toPlainValue(value);
    const out: Record<string, unknown> = {};
    for (const child of children) out[child.element.name] = parquetFieldValue(child, (value as Record<string, unknown>)[child.element.name]);
    return out;
}

function listValue(node: SchemaTree, value: unknown): unknown {
    const repeated = node.children[0]!;
    if (repeated.children.length === 0) {
        // a 2-level list: hyparquet gives null for an empty list, undefined for a null one
        if (value === undefined) return null;
        if (value === null) return [];
        return (value as unknown[]).map((item) => elementValue(repeated, item));
    }
    if (value === null || value === undefined) return null;
    if (repeated.children.length > 1) {
        // hyparquet reads the list as a struct holding the repeated group
        const items = (value as Record<string, unknown>)[repeated.element.name];
        return items == null ? [] : (items as unknown[]).map((item) => elementValue(repeated, item));
    }
    if (isOneFieldElement(node, repeated)) {
        // hyparquet unwraps the single field: wrap it again
        const field = repeated.children[0]!;
        return (value as unknown[]).map((item) => ({[field.element.name]: parquetFieldValue(field, item)}));
    }
    return (value as unknown[]).map((item) => parquetFieldValue(repeated.children[0]!, item));
}

/** A LIST group (by its converted or logical type) with one repeated child. */
export function isList(node: SchemaTree): boolean {
    const {element, children} = node;
    const annotated = element.converted_type === "LIST" || element.logical_type?.type === "LIST";
    return annotated && children.length === 1 && children[0]!.element.repetition_type === "REPEATED";
}

function isMap(node: SchemaTree): boolean {
    const {converted_type: converted, logical_type: logical} = node.element;
    return converted === "MAP" || converted === "MAP_KEY_VALUE" || logical?.type === "MAP";
}

/** A repeated group of one field that is the list's element itself (the spec's `array` and `_tuple` rules). */
export function isOneFieldElement(list: SchemaTree, repeated: SchemaTree): boolean {
    return repeated.children.length === 1 && (repeated.element.name === "array" || repeated.element.name === `${list.element.name}_tuple`);
}

/** The schema node of a LIST group's element, by the spec's backward-compatibility rules. */
export function listElement(node: SchemaTree): SchemaTree {
    const repeated = node.children[0]!;
    if (repeated.children.length !== 1 || isOneFieldElement(node, repeated)) return repeated;
    return repeated.children[0]!;
}
