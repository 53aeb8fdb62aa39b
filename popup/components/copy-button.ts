// A button that copies `text` and says whether it worked, next to it, for
// screen readers too (a polite live region).
import { h } from 'preact';
import { useState } from 'preact/hooks';

export interface CopyButtonProps {
  readonly text: string;
  /** The accessible name, e.g. "Copy homeserver URL". */
  readonly label: string;
  readonly copy: (text: string) => Promise<void>;
  readonly disabled?: boolean;
}

export function CopyButton({ text, label, copy, disabled = false }: CopyButtonProps) {
  const [outcome, setOutcome] = useState<'copied' | 'failed' | null>(null);
  const onClick = () => {
    copy(text).then(
      () => setOutcome('copied'),
      () => setOutcome('failed'),
    );
  };
  return h(
    'span',
    { class: 'copy' },
    h(
      'button',
      { type: 'button', class: 'small', 'aria-label': label, title: label, disabled, onClick },
      'Copy',
    ),
    h(
      'span',
      { class: `copy-outcome ${outcome ?? ''}`, role: 'status' },
      outcome === 'copied' ? 'Copied' : outcome === 'failed' ? 'Select and copy it' : '',
    ),
  );
}
