#!/usr/bin/env node
// Copies what the compiler does not: the review web app's files (src/review/ui -> dist/review/ui).
import fs from "node:fs";
import {fileURLToPath} from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
fs.rmSync(`${root}dist/review/ui`, {recursive: true, force: true});
fs.cpSync(`${root}src/review/ui`, `${root}dist/review/ui`, {recursive: true});
