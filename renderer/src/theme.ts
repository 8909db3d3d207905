// Dark (control-room) and light themes: CSS variables do the page; the plots' canvas colours come
// from the same variables, read when a plot is built.
import { useCallback, useLayoutEffect, useState } from 'react';

export type Theme = 'dark' | 'light';

const THEME_KEY = 'opsdeck.theme';

/** Series colours, chosen to stay apart from each other and readable on each background. */
const PALETTES: Record<Theme, readonly string[]> = {
  dark: ['#4fc3f7', '#ffb74d', '#81c784', '#f06292', '#ba68c8', '#fff176', '#4db6ac', '#e57373'],
  light: ['#0277bd', '#e65100', '#2e7d32', '#c2185b', '#6a1b9a', '#9e9d24', '#00695c', '#c62828'],
};

export function seriesColor(theme: Theme, index: number): string {
  const palette = PALETTES[theme];
  return palette[index % palette.length]!;
}

/** `#rrggbb` with an alpha, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === 'dark' || saved === 'light') return saved;
  } catch {
    // storage may be unavailable (privacy settings): the default theme will do
  }
  return 'dark';
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  // A layout effect: it runs before any plot's (passive) effect reads the theme's colours.
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // not remembered across launches, nothing worse
    }
  }, [theme]);
  const toggle = useCallback(() => setTheme((t) => (t === 'dark' ? 'light' : 'dark')), []);
  return [theme, toggle];
}
