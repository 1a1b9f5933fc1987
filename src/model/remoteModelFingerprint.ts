/** The fingerprint that stands for a server's model (the openai backend): `remote:<base URL>:<name>`. */
export function remoteModelFingerprint(baseUrl: string, model: string): string {
    return `remote:${baseUrl}:${model}`;
}
