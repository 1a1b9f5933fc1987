/** airlabel's version (kept in step with package.json by the release script and a test). */
export const version = "0.1.0";
