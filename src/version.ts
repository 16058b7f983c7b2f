declare const __VERSION__: string | undefined;
declare const __REPOSITORY__: string | undefined;

/** Set by build.mjs from package.json; "dev" when running from sources. */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

/** The project's repository URL (NIP-11 `software`), set by build.mjs from package.json; '' when unknown. */
export const REPOSITORY: string = typeof __REPOSITORY__ === 'string' ? __REPOSITORY__ : '';
