// The part of web-ext's programmatic API the tests use (the package ships no types).
declare module 'web-ext' {
  export interface LintFinding {
    readonly code: string;
    readonly message: string;
    readonly file?: string;
  }
  export interface LintReport {
    readonly count: number;
    readonly summary: { readonly errors: number; readonly notices: number; readonly warnings: number };
    readonly errors: readonly LintFinding[];
    readonly warnings: readonly LintFinding[];
  }
  const webExt: {
    cmd: {
      lint(
        params: { sourceDir: string; output: 'none' | 'json' | 'text'; boring?: boolean; metadata?: boolean },
        options: { shouldExitProgram: boolean },
      ): Promise<LintReport>;
      build(
        params: {
          sourceDir: string;
          artifactsDir: string;
          filename?: string;
          overwriteDest?: boolean;
          ignoreFiles?: string[];
        },
        options: { shouldExitProgram: boolean },
      ): Promise<{ extensionPath: string }>;
    };
  };
  export default webExt;
}
