// Types of signature.mjs.

/** Splits the first complete type off a signature: [type, rest]. Throws on an empty or unbalanced one. */
export function splitType(signature: string): [string, string];
/** The complete types of a signature, in order. */
export function splitSignature(signature: string): string[];
