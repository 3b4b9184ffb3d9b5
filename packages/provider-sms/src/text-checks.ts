// C0, DEL and C1 controls are \p{Cc}; in a `u` regex a paired surrogate is one code point, so \p{Cs} is a lone one.
const CONTROL_OR_LONE_SURROGATE_RE = /[\p{Cc}\p{Cs}]/u;
const LONE_SURROGATE_RE = /\p{Cs}/u;

/** True when `s` holds a control character (C0, DEL, C1) or a lone surrogate. */
export function hasControlOrLoneSurrogate(s: string): boolean {
  return CONTROL_OR_LONE_SURROGATE_RE.test(s);
}

/** True when `s` is not well-formed UTF-16 (a lone surrogate), like `!s.isWellFormed()`. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE_RE.test(s);
}
