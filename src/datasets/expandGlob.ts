import fs from "node:fs";
import path from "node:path";

/** Whether a spec is a glob pattern (holds `*` or `?`). */
export function isGlob(spec: string): boolean {
    return /[*?]/.test(spec);
}

/**
 * Expands a glob pattern with `*` (any characters but `/`) and `?` (one character) in any path
 * segment, e.g. `data/*.jsonl`, `shards/part-?/train-*.parquet`. Hidden entries (starting with `.`)
 * match only when the pattern segment starts with `.`. Returns the matching files, sorted by path,
 * and the directory before the first wildcard (`base`).
 */
export async function expandGlob(pattern: string): Promise<{base: string; files: string[]}> {
    const absolute = path.resolve(pattern);
    const segments = absolute.split(path.sep);
    const firstWild = segments.findIndex((segment) => isGlob(segment));
    const base = segments.slice(0, firstWild).join(path.sep) || path.sep;

    let candidates = [base];
    for (let i = firstWild; i < segments.length; i++) {
        const segment = segments[i]!;
        const last = i === segments.length - 1;
        const next: string[] = [];
        for (const dir of candidates) {
            if (!isGlob(segment)) {
                next.push(path.join(dir, segment));
                continue;
            }
            const regex = segmentRegex(segment);
            let entries: fs.Dirent[];
            try {
                entries = await fs.promises.readdir(dir, {withFileTypes: true});
            } catch {
                continue;
            }
            for (const entry of entries) {
                if (entry.name.startsWith(".") && !segment.startsWith(".")) continue;
                if (regex.test(entry.name)) next.push(path.join(dir, entry.name));
            }
        }
        candidates = last ? next : next.filter((candidate) => isDirectory(candidate));
    }

    const files = candidates.filter((candidate) => isFile(candidate));
    files.sort(compareNames);
    return {base, files};
}

/** Orders paths by code point (not locale), so `data-00002` sorts before `data-00010`. */
export function compareNames(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function segmentRegex(segment: string): RegExp {
    let source = "";
    for (const char of segment) {
        if (char === "*") source += "[^/]*";
        else if (char === "?") source += "[^/]";
        else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${source}$`);
}

function isDirectory(candidate: string): boolean {
    try {
        return fs.statSync(candidate).isDirectory();
    } catch {
        return false;
    }
}

function isFile(candidate: string): boolean {
    try {
        return fs.statSync(candidate).isFile();
    } catch {
        return false;
    }
}
