declare const __VERSION__: string | undefined;

/** Set by build.mjs from package.json; "dev" when running from sources. */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
