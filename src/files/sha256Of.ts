import crypto from "node:crypto";

/** SHA-256 of bytes, or of a string's UTF-8, as lowercase hex. */
export function sha256Of(data: Uint8Array | string): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}
