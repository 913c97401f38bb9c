// har-validator ships no types; only its promise API is used (recorder/har-validate.ts).
declare module 'har-validator' {
  export interface HarAjvError {
    keyword: string;
    /** ajv 6 JSON path of the failing value, e.g. `.log.entries[3].response.status`. */
    dataPath: string;
    schemaPath: string;
    params: Record<string, unknown>;
    message?: string;
  }
  export interface HARError extends Error {
    errors: HarAjvError[];
  }
  const harValidator: {
    har(data: unknown): Promise<unknown>;
  };
  export default harValidator;
}
