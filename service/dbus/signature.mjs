// D-Bus type signatures split into their complete types. Plain JavaScript
// (typed by signature.d.mts) so that one splitter serves the service's wire
// writer and tools/contract-types.mjs, which runs before TypeScript is
// compiled.

/**
 * Splits the first complete type off a signature: [type, rest].
 * @param {string} signature
 * @returns {[string, string]}
 */
export function splitType(signature) {
  const head = signature[0];
  if (head === undefined) throw new Error('empty signature');
  if (head === 'a') {
    const [inner, rest] = splitType(signature.slice(1));
    return [`a${inner}`, rest];
  }
  if (head === '(' || head === '{') {
    const close = head === '(' ? ')' : '}';
    let depth = 0;
    for (let i = 0; i < signature.length; i++) {
      if (signature[i] === head) depth++;
      else if (signature[i] === close && --depth === 0) return [signature.slice(0, i + 1), signature.slice(i + 1)];
    }
    throw new Error(`unbalanced signature '${signature}'`);
  }
  return [head, signature.slice(1)];
}

/**
 * The complete types of a signature, in order.
 * @param {string} signature
 * @returns {string[]}
 */
export function splitSignature(signature) {
  const types = [];
  for (let rest = signature; rest.length > 0;) {
    const [type, next] = splitType(rest);
    types.push(type);
    rest = next;
  }
  return types;
}
