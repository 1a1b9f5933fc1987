import fs from "node:fs";
import path from "node:path";
import {expect, test} from "vitest";
import {repoRoot} from "../support/fixtures.js";

// The library is what users import (src/index.ts); the CLI is a thin layer over it. Read from the source files'
// own import lines, resolved as TypeScript's NodeNext resolution does for relative ".js" specifiers.

const srcDir = path.join(repoRoot, "src");

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
    });
}

/** The specifiers a file imports or re-exports (static imports and `import()` of a literal). */
function specifiers(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    const found: string[] = [];
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gmu)) found.push(match[1]!);
    for (const match of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/gu)) found.push(match[1]!);
    return found;
}

function resolveLocal(from: string, specifier: string): string | null {
    if (!specifier.startsWith(".")) return null;
    const resolved = path.resolve(path.dirname(from), specifier).replace(/\.js$/u, ".ts");
    return fs.existsSync(resolved) ? resolved : null;
}

const cliDir = path.join(srcDir, "cli") + path.sep;
const files = sourceFiles(srcDir);

test("no module outside src/cli imports from src/cli", () => {
    const offenders = files.filter((file) => !file.startsWith(cliDir)).flatMap((file) =>
        specifiers(file).map((specifier) => resolveLocal(file, specifier)).filter((target): target is string => target !== null && target.startsWith(cliDir))
            .map((target) => `${path.relative(repoRoot, file)} -> ${path.relative(repoRoot, target)}`));
    expect(offenders).toEqual([]);
});

test("the library's entry point pulls in neither CLI modules nor commander", () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        for (const specifier of specifiers(file)) {
            const target = resolveLocal(file, specifier);
            if (target !== null) visit(target);
            else if (!specifier.startsWith(".")) packages.add(specifier.split("/")[0]!);
        }
    };
    visit(path.join(srcDir, "index.ts"));
    // the closure is the library itself (a broken resolution would make this pass on an empty set)
    expect(seen.size).toBeGreaterThan(50);
    expect([...seen].filter((file) => file.startsWith(cliDir)).map((file) => path.relative(repoRoot, file))).toEqual([]);
    expect(packages.has("commander")).toBe(false);
});
