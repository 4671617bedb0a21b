// Marks a string for translation where it is defined, in code that must not
// depend on the Shell (the pure model): xgettext finds N_('…'), and the UI
// translates it with _() when it shows it.

export const N_ = (text: string): string => text;
