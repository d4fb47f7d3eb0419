/** An approval's id as the executor makes them (UUIDs) and as the gateway and the executor accept them in a path: one rule for both. */
export const APPROVAL_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
