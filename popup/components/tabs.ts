// The popup's sections as tabs (WAI-ARIA Authoring Practices, "Tabs with
// automatic activation"): Tab reaches the selected tab, the arrow keys, Home
// and End move between tabs, and the panel follows.
import { type ComponentChildren, h } from 'preact';
import { useRef } from 'preact/hooks';

export interface TabSpec {
  readonly id: string;
  readonly label: string;
}

export interface TabsProps {
  readonly tabs: readonly TabSpec[];
  readonly selected: string;
  readonly onSelect: (id: string) => void;
  readonly children?: ComponentChildren;
}

const KEY_MOVES: Record<string, (index: number, count: number) => number> = {
  ArrowRight: (i, n) => (i + 1) % n,
  ArrowLeft: (i, n) => (i - 1 + n) % n,
  Home: () => 0,
  End: (_i, n) => n - 1,
};

export function Tabs({ tabs, selected, onSelect, children }: TabsProps) {
  const list = useRef<HTMLDivElement>(null);
  const onKeyDown = (e: KeyboardEvent) => {
    const move = KEY_MOVES[e.key];
    if (!move) return;
    e.preventDefault();
    const next =
      tabs[
        move(
          tabs.findIndex((t) => t.id === selected),
          tabs.length,
        )
      ]!;
    onSelect(next.id);
    list.current?.querySelector<HTMLElement>(`#tab-${next.id}`)?.focus();
  };
  return h(
    'div',
    { class: 'tabs' },
    h(
      'div',
      { role: 'tablist', 'aria-label': 'Sections', class: 'tablist', ref: list, onKeyDown },
      tabs.map((tab) =>
        h(
          'button',
          {
            key: tab.id,
            id: `tab-${tab.id}`,
            type: 'button',
            role: 'tab',
            'aria-selected': tab.id === selected ? 'true' : 'false',
            'aria-controls': `panel-${tab.id}`,
            tabIndex: tab.id === selected ? 0 : -1,
            onClick: () => onSelect(tab.id),
          },
          tab.label,
        ),
      ),
    ),
    h(
      'div',
      {
        id: `panel-${selected}`,
        role: 'tabpanel',
        'aria-labelledby': `tab-${selected}`,
        class: 'panel',
      },
      children,
    ),
  );
}
