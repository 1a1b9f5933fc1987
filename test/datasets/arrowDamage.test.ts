import fs from "node:fs";
import path from "node:path";
import {Float64, Int32, Table, Utf8, tableToIPC, vectorFromArray} from "apache-arrow";
import {describe, expect, test} from "vitest";
import {DatasetError} from "../../src/datasets/DatasetError.js";
import {inspectDataset} from "../../src/datasets/inspectDataset.js";
import {openDataset} from "../../src/datasets/openDataset.js";
import {collectValues, errorMessage, tempDir} from "./collect.js";
import {runCli} from "../support/fixtures.js";

const rowCount = 300;

/** A 300-row table like a small real dataset: an id, a text (with or without nulls) and a score. */
function tableBytes(format: "file" | "stream", withNulls: boolean): Uint8Array {
    const texts = Array.from({length: rowCount}, (_, i) => (withNulls && i % 7 === 3 ? null : `row number ${i} text`));
    return tableToIPC(
        new Table({
            id: vectorFromArray(
                Array.from({length: rowCount}, (_, i) => i),
                new Int32()
            ),
            text: vectorFromArray(texts, new Utf8()),
            score: vectorFromArray(
                Array.from({length: rowCount}, (_, i) => i / 4),
                new Float64()
            )
        }),
        format
    );
}

/** The issue's layout: an int32 id and a text without nulls; bytes 200-400 land in the batch header. */
function idTextBytes(format: "file" | "stream"): Uint8Array {
    return tableToIPC(
        new Table({
            id: vectorFromArray(
                Array.from({length: rowCount}, (_, i) => i),
                new Int32()
            ),
            text: vectorFromArray(
                Array.from({length: rowCount}, (_, i) => `row ${i}`),
                new Utf8()
            )
        }),
        format
    );
}

function damaged(bytes: Uint8Array, start: number, end: number): Buffer {
    const copy = Buffer.from(bytes);
    copy.fill(0xff, start, end);
    return copy;
}

const dir = tempDir();

describe("a damaged Arrow file is refused, not read as nulls (items 4, 5)", () => {
    for (const format of ["file", "stream"] as const) {
        test(`IPC ${format}: bytes 200-400 set to 0xff: refused with one line naming the file`, async () => {
            for (const withNulls of [false, true]) {
                const file = path.join(dir, `damaged-${format}-${withNulls}.arrow`);
                fs.writeFileSync(file, damaged(tableBytes(format, withNulls), 200, 400));
                const message = await errorMessage(openDataset(file).then(collectValues));
                expect(message).toMatch(new RegExp(`^damaged-${format}-${withNulls}\\.arrow: .*(corrupt|Arrow IPC)`, "u"));
                expect(message).not.toContain("\n");
                expect(await errorMessage(inspectDataset(file))).toBe(message);
            }
        });
    }

    test("the issue's layout (id, text): bytes 200-400 damage the batch header, refused instead of 300 null texts", async () => {
        const file = path.join(dir, "issue.arrow");
        fs.writeFileSync(file, damaged(idTextBytes("file"), 200, 400));
        const message = await errorMessage(openDataset(file).then(collectValues));
        expect(message).toMatch(
            /^issue\.arrow: cannot read Arrow IPC \(a record batch header declares a column of -1 values with -1 nulls\); .*write it again if it is damaged$/u
        );
        expect(await errorMessage(inspectDataset(file))).toBe(message);
    });

    test("airlabel inspect on the damaged file: one line, exit 1, no rows reported", async () => {
        const file = path.join(dir, "damaged-cli.arrow");
        fs.writeFileSync(file, damaged(tableBytes("stream", false), 200, 400));
        const result = await runCli(["inspect", file]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(/^airlabel: damaged-cli\.arrow: [^\n]*\n$/u);
    });

    test("a null count that the validity bitmap does not hold (every text would read as null) is refused, naming the column", async () => {
        const bytes = Buffer.from(tableBytes("file", false));
        // the text column's field node in the batch header: length 300, null count 0 (after the id column's node)
        const node = Buffer.alloc(32);
        node.writeBigInt64LE(300n, 0);
        node.writeBigInt64LE(300n, 16);
        const at = bytes.indexOf(node);
        expect(at).toBeGreaterThan(0);
        bytes.writeBigInt64LE(300n, at + 24);
        const file = path.join(dir, "null-count.arrow");
        fs.writeFileSync(file, bytes);
        expect(await errorMessage(openDataset(file).then(collectValues))).toBe(
            'null-count.arrow: record batch 0 (rows 0-299) is damaged, column "text": validity bitmap of 0 bytes for 300 values; ' +
                "the Arrow file is corrupt or truncated, write it again"
        );
    });

    test("any 200 bytes set to 0xff: a one-line DatasetError, or the 300 rows with no text turned null", async () => {
        for (const [format, good] of [
            ["file", tableBytes("file", true)],
            ["stream", tableBytes("stream", true)],
            ["file", idTextBytes("file")]
        ] as const) {
            const file = path.join(dir, `sweep-${format}.arrow`);
            fs.writeFileSync(file, good);
            const original = await collectValues(await openDataset(file));
            for (let start = 0; start + 200 <= good.length; start += 40) {
                fs.writeFileSync(file, damaged(good, start, start + 200));
                let rows: Record<string, unknown>[];
                try {
                    rows = await collectValues(await openDataset(file));
                } catch (err) {
                    expect(err, `bytes ${start}-${start + 200}`).toBeInstanceOf(DatasetError);
                    continue;
                }
                expect(rows, `bytes ${start}-${start + 200}`).toHaveLength(rowCount);
                for (let i = 0; i < rowCount; i++) {
                    expect(Object.keys(rows[i]!), `bytes ${start}-${start + 200} row ${i}`).toEqual(Object.keys(original[i]!));
                    if (original[i]!.text !== null) expect(rows[i]!.text, `bytes ${start}-${start + 200} row ${i}`).not.toBeNull();
                }
            }
        }
    }, 120_000);
});

describe("a Hugging Face save_to_disk folder of a selection is refused (its table holds other rows)", () => {
    test("an indices file, named in state.json or on its own", async () => {
        for (const inState of [true, false]) {
            const folder = fs.mkdtempSync(path.join(dir, "selection-"));
            fs.writeFileSync(path.join(folder, "data-00000-of-00001.arrow"), idTextBytes("stream"));
            fs.writeFileSync(path.join(folder, "indices.arrow"), tableToIPC(new Table({indices: vectorFromArray([5, 9], new Int32())}), "stream"));
            fs.writeFileSync(
                path.join(folder, "state.json"),
                JSON.stringify({
                    _data_files: [{filename: "data-00000-of-00001.arrow"}],
                    ...(inState ? {_indices_data_files: [{filename: "indices.arrow"}]} : {}),
                    _split: "train"
                })
            );
            expect(await errorMessage(openDataset(folder))).toBe(
                `${folder} is a Hugging Face save_to_disk folder of a selection (it has an indices file): its .arrow files hold other rows than ` +
                    "the dataset's; save it again with ds.flatten_indices().save_to_disk(...)"
            );
        }
    });
});
