// Reserved space while something loads: as tall as what will replace it,
// so nothing moves when the data arrives.
import { h } from 'preact';

export function Placeholder({ lines, label }: { readonly lines: number; readonly label: string }) {
  return h(
    'div',
    { class: 'placeholder', 'aria-busy': 'true', style: { height: `${lines * 1.5}em` } },
    h('span', { class: 'muted' }, label),
  );
}
