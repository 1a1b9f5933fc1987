import path from "node:path";
import {writeFileDurable} from "../files/durableFs.js";
import type {OutputFormat} from "../output/OutputRow.js";
import type {ColumnKind} from "../output/ColumnKind.js";
import {encodeDataShard, planColumns, shardExtension} from "../output/shardCodec.js";
import {CompareViewError} from "./CompareViewError.js";
import type {Comparison} from "./readComparison.js";

/**
 * Writes `<dir>/compare.<format>` from the comparison of `dir` (`readComparison(dir)`): one row per idx (ascending),
 * the input columns, then per model `response_<id>` (the answer, null where it failed), `error_<id>` (the reason,
 * null where it answered) and, where the models' runs recorded one, `confidence_<id>`. Rows are joined on idx, never
 * on position. Returns the file and its row count.
 */
export async function writeMergedView(dir: string, format: OutputFormat, comparison: Comparison): Promise<{file: string; rows: number}> {
    const {models, rows} = comparison;
    const inputColumns = new Set<string>();
    for (const row of rows) for (const name of Object.keys(row.columns)) inputColumns.add(name);
    const withConfidence = rows.some((row) => Object.values(row.responses).some((response) => response.confidence !== undefined));
    for (const model of models) {
        for (const name of [`response_${model.id}`, `error_${model.id}`, ...(withConfidence ? [`confidence_${model.id}`] : [])])
            if (inputColumns.has(name))
                throw new CompareViewError(
                    `input column "${name}" clashes with the merged view's column for model ${model.id}; name the model differently (models: [{name: ..., model: ...}])`
                );
    }
    const records = rows.map((row) => {
        const record: Record<string, unknown> = {idx: row.idx, ...row.columns};
        for (const model of models) {
            const response = row.responses[model.id];
            record[`response_${model.id}`] = response?.ok === true ? response.annotation : null;
            record[`error_${model.id}`] = response?.ok === true ? null : (response?.reason ?? null);
            if (withConfidence) record[`confidence_${model.id}`] = response?.confidence ?? null;
        }
        return record;
    });
    const inputPlan = planColumns(
        rows.map((row) => row.columns),
        {}
    );
    const plan: Record<string, ColumnKind> = {idx: "int"};
    for (const name of inputColumns) plan[name] = inputPlan[name] ?? "json";
    for (const model of models) {
        plan[`response_${model.id}`] = "json";
        plan[`error_${model.id}`] = "string";
        if (withConfidence) plan[`confidence_${model.id}`] = "double";
    }
    const file = path.join(dir, `compare.${shardExtension(format)}`);
    await writeFileDurable(file, encodeDataShard(records, format, plan));
    return {file, rows: records.length};
}
