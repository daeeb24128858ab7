/** One bundled console file (`src/generated/console-assets.ts`), served from the package. */
export interface ConsoleAsset {
  /** `console.<sha256 prefix>.js|css`: served under `/console/assets/` and cached for a year. */
  readonly name: string;
  readonly type: string;
  readonly body: string;
}
