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
    const offenders = files
        .filter((file) => !file.startsWith(cliDir))
        .flatMap((file) =>
            specifiers(file)
                .map((specifier) => resolveLocal(file, specifier))
                .filter((target): target is string => target?.startsWith(cliDir) === true)
                .map((target) => `${path.relative(repoRoot, file)} -> ${path.relative(repoRoot, target)}`)
        );
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

/** Each file's local imports (resolved), the whole of src/. */
const imports = new Map(
    files.map((file) => [
        file,
        specifiers(file)
            .map((specifier) => resolveLocal(file, specifier))
            .filter((target): target is string => target !== null)
    ])
);

/** The strongly connected groups of more than one node (Tarjan): each is an import cycle. */
function cycles(graph: Map<string, Set<string>>): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    const visit = (node: string): void => {
        index.set(node, index.size);
        low.set(node, index.get(node)!);
        stack.push(node);
        onStack.add(node);
        for (const next of graph.get(node) ?? []) {
            if (!index.has(next)) {
                visit(next);
                low.set(node, Math.min(low.get(node)!, low.get(next)!));
            } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
        }
        if (low.get(node) !== index.get(node)) return;
        const group: string[] = [];
        let member: string;
        do {
            member = stack.pop()!;
            onStack.delete(member);
            group.push(path.relative(repoRoot, member));
        } while (member !== node);
        if (group.length > 1) found.push(group.sort());
    };
    for (const node of graph.keys()) if (!index.has(node)) visit(node);
    return found;
}

test("no import cycle between files", () => {
    expect(cycles(new Map([...imports].map(([file, targets]) => [file, new Set(targets)])))).toEqual([]);
});

// The entry points import every room; they stand apart from the folder they sit in (nothing imports them).
const entryPoints = new Set([path.join(srcDir, "index.ts"), path.join(srcDir, "cli", "main.ts")]);

test("no import cycle between folders (the entry points src/index.ts and src/cli/main.ts apart)", () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, targets] of imports) {
        const from = entryPoints.has(file) ? file : path.dirname(file);
        for (const target of targets) {
            const to = path.dirname(target);
            if (to === from) continue;
            if (!folders.has(from)) folders.set(from, new Set());
            folders.get(from)!.add(to);
        }
    }
    expect(folders.size).toBeGreaterThan(15);
    expect(cycles(folders)).toEqual([]);
});

test("the local and the openai engines do not import each other", () => {
    const local = path.join(srcDir, "engine", "local") + path.sep;
    const openai = path.join(srcDir, "engine", "openai") + path.sep;
    const crossing = [...imports].flatMap(([file, targets]) =>
        targets
            .filter((target) => (file.startsWith(local) && target.startsWith(openai)) || (file.startsWith(openai) && target.startsWith(local)))
            .map((target) => `${path.relative(repoRoot, file)} -> ${path.relative(repoRoot, target)}`)
    );
    expect([...imports.keys()].some((file) => file.startsWith(local)) && [...imports.keys()].some((file) => file.startsWith(openai))).toBe(true);
    expect(crossing).toEqual([]);
});

test("the README's layout section names every folder of src/", () => {
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const folders = [...new Set(files.map((file) => path.relative(repoRoot, path.dirname(file)).split(path.sep).join("/")))].filter(
        (folder) => folder !== "src"
    );
    expect(folders.length).toBeGreaterThan(15);
    expect(folders.filter((folder) => !readme.includes(`\`${folder}\``))).toEqual([]);
});
