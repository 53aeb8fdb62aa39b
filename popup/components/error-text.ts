// An error message in words, announced when it appears. The line keeps its
// height when empty, so forms do not jump when an error comes or goes.
import { h } from 'preact';

export function ErrorText({ id, message }: { readonly id: string; readonly message: string | null }) {
  return h('p', { id, class: 'error', role: 'alert' }, message ?? '');
}
