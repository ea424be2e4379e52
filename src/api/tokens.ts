/** Injection tokens for the framework-free core objects the Nest shell hands around. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const CLOCK = Symbol('CLOCK');
export const RANDOM = Symbol('RANDOM');
export const ADDRESS_POOLS = Symbol('ADDRESS_POOLS');
export const CLUSTER = Symbol('CLUSTER');
/** The bearer-token authenticator (`TokenAuthenticator`), or null when TOKEN_AUTH_FILE is not set. */
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
