import {expect} from "vitest";
import {InvalidOptionError} from "../../src/AirlabelError.js";
import type {AnnotateOptions} from "../../src/options/AnnotateOptions.js";
import {validateAnnotateOptions} from "../../src/options/validateAnnotateOptions.js";

/** The message of the InvalidOptionError `validateAnnotateOptions` throws for `options`; fails the test when they are accepted. */
export function validationMessage(options: Record<string, unknown>): string {
    try {
        validateAnnotateOptions(options as AnnotateOptions);
    } catch (err) {
        expect(err).toBeInstanceOf(InvalidOptionError);
        return (err as Error).message;
    }
    throw new Error("expected the options to be rejected");
}
